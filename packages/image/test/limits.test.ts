/**
 * What a broken or hostile registry cannot make the store do: buffer an endless manifest, token
 * or error body (every answer read into memory is capped while it streams), keep an oversized
 * config, or hang for minutes on a transfer that stopped sending. Served by the scripted
 * registry of @krunbox/testing, which can misbehave on any request.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import type * as http from "node:http"
import * as fs from "node:fs"
import * as path from "node:path"
import { ImageStore, type PullEvent } from "../src/index.js"
import { limits } from "../src/internal/registry.js"
import { bigImage, buildLayout, type BuiltLayout, errorOf, makeTempDir, removeDir, type ScriptedRegistry, smallImage, startScriptedRegistry } from "@krunbox/testing"

const MiB = 1024 * 1024

describe("registry and store limits", () => {
  let work: string
  let registry: ScriptedRegistry
  let small: BuiltLayout
  let big: BuiltLayout

  beforeAll(async () => {
    work = makeTempDir("limits")
    registry = await startScriptedRegistry()
    small = buildLayout(path.join(work, "small"), "1", [smallImage("limits")])
    big = buildLayout(path.join(work, "big"), "1", [bigImage(2)])
    registry.serve("small", small.dir)
    registry.serve("big", big.dir)
  })
  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
  })

  const freshStore = () => ImageStore.open({ cacheDir: makeTempDir("limits-cache"), dockerConfigPath: "/nonexistent" })
  const cleanup = (store: ImageStore) => removeDir(path.dirname(store.root))
  const storedBlobs = (store: ImageStore) => fs.readdirSync(path.join(store.root, "blobs", "sha256"))
  const partials = (store: ImageStore) => fs.readdirSync(path.join(store.root, "partial")).filter((name) => !name.endsWith(".lock"))

  /**
   * Streams `prefix` then filler bytes with chunked encoding (no Content-Length) until the
   * client goes away or `maxBytes` were sent; returns how much was sent through `registry.sent`.
   */
  const endless = (prefix: string, maxBytes: number, status = 200, contentType = "application/vnd.oci.image.manifest.v1+json") =>
    async (request: http.IncomingMessage, response: http.ServerResponse) => {
      response.writeHead(status, { "content-type": contentType })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      let gone = false
      response.on("close", () => (gone = true))
      response.write(prefix)
      while (!gone && sent < maxBytes) {
        if (!response.write(chunk)) await new Promise((resolve) => response.once("drain", resolve).once("close", resolve))
        sent += chunk.length
        registry.count(request, chunk.length)
      }
      response.end()
    }

  it("stops reading a chunked manifest without Content-Length at the cap and keeps nothing", async () => {
    // 256 MiB offered; a client that buffered everything first would take all of it
    registry.override("/v2/small/manifests/endless", endless('{"schemaVersion":2,"layers":[', 256 * MiB))
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:endless`))
      expect(error).toMatchObject({ _tag: "MetadataTooLarge", what: "manifest", limitBytes: limits.manifestBytes, announcedBytes: undefined })
      expect(String(error.message)).toContain(`more than ${limits.manifestBytes} bytes sent`)
      // the cap plus what sat in socket buffers when the client hung up
      expect(registry.sent.get("/v2/small/manifests/endless")).toBeLessThan(limits.manifestBytes + 16 * MiB)
      expect(storedBlobs(store)).toEqual([])
      expect(store.list()).toEqual([])
    } finally {
      registry.override("/v2/small/manifests/endless", undefined)
      cleanup(store)
    }
  })

  it("refuses a manifest whose Content-Length is over the cap without reading it", async () => {
    registry.override("/v2/small/manifests/announced", (_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": String(5 * MiB) })
      response.end(Buffer.alloc(5 * MiB, 0x20))
    })
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:announced`))
      expect(error).toMatchObject({ _tag: "MetadataTooLarge", what: "manifest", announcedBytes: 5 * MiB })
      expect(storedBlobs(store)).toEqual([])
    } finally {
      registry.override("/v2/small/manifests/announced", undefined)
      cleanup(store)
    }
  })

  it("refuses a config announced above the cap before downloading a byte of it", async () => {
    const config = Buffer.alloc(limits.configBytes + 1, 0x20)
    const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
        layers: []
      })
    )
    registry.override("/v2/small/manifests/fat-config", (_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(manifest)
    })
    registry.override(`/blobs/${configDigest}`, (_request, response) => {
      response.writeHead(200, { "content-length": String(config.length) }).end(config)
    })
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:fat-config`))
      expect(error).toMatchObject({ _tag: "MetadataTooLarge", what: "image config", limitBytes: limits.configBytes, announcedBytes: config.length })
      expect(String(error.url)).toContain(configDigest)
      expect(registry.requests.some((r) => r.url.includes(configDigest))).toBe(false)
      // only the (small, verified) manifest is kept; no trace of the config
      expect(storedBlobs(store)).toEqual([createHash("sha256").update(manifest).digest("hex")])
      expect(partials(store)).toEqual([])
    } finally {
      registry.override("/v2/small/manifests/fat-config", undefined)
      registry.override(`/blobs/${configDigest}`, undefined)
      cleanup(store)
    }
  })

  it("cuts off a config that streams past the size its manifest announced, keeping nothing", async () => {
    const configDigest = small.images[0]!.configDigest
    registry.override(`/v2/small/blobs/${configDigest}`, endless("{", 64 * MiB, 200, "application/octet-stream"))
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:1`))
      expect(error).toMatchObject({ _tag: "DigestMismatch", expected: configDigest })
      expect(registry.sent.get(`/v2/small/blobs/${configDigest}`)).toBeLessThan(16 * MiB)
      expect(storedBlobs(store)).not.toContain(configDigest.slice(7))
      expect(partials(store)).toEqual([])
    } finally {
      registry.override(`/v2/small/blobs/${configDigest}`, undefined)
      cleanup(store)
    }
  })

  it("keeps only the start of an endless error body", async () => {
    registry.override("/v2/small/manifests/broken", endless("upstream exploded: ", 256 * MiB, 502, "text/plain"))
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:broken`))
      expect(error).toMatchObject({ _tag: "RegistryProtocolError" })
      expect(String(error.detail)).toMatch(/^HTTP 502 upstream exploded:/)
      expect(String(error.detail).length).toBeLessThan(300)
      expect(registry.sent.get("/v2/small/manifests/broken")).toBeLessThan(16 * MiB)
    } finally {
      registry.override("/v2/small/manifests/broken", undefined)
      cleanup(store)
    }
  })

  it("stops reading an endless token response at its cap", async () => {
    registry.override("/v2/small/manifests/token", (_request, response) => {
      response
        .writeHead(401, { "www-authenticate": `Bearer realm="http://${registry.host}/token",service="test"`, "content-type": "application/json" })
        .end("{}")
    })
    registry.override("/token", endless('{"token":"', 256 * MiB, 200, "application/json"))
    const store = freshStore()
    try {
      const error = await errorOf(store.pull(`${registry.host}/small:token`))
      expect(error).toMatchObject({ _tag: "MetadataTooLarge", what: "token response", limitBytes: limits.tokenBytes })
      expect([...registry.sent.entries()].find(([url]) => url.startsWith("/token"))?.[1]).toBeLessThan(limits.tokenBytes + 16 * MiB)
    } finally {
      registry.override("/v2/small/manifests/token", undefined)
      registry.override("/token", undefined)
      cleanup(store)
    }
  })

  describe("a layer that stops sending", () => {
    const layer = () => big.images[0]!.layers[0]!
    /** sends the first 256 KiB of the layer, then nothing, keeping the connection open */
    const stallOnce = () => {
      let stalled = false
      registry.override(`/v2/big/blobs/${layer().digest}`, (request, response) => {
        if (stalled) return registry.fromLayout(request, response)
        stalled = true
        const data = fs.readFileSync(path.join(big.dir, "blobs", "sha256", layer().digest.slice(7)))
        response.writeHead(200, { "content-length": String(data.length), "content-type": "application/octet-stream" })
        response.write(data.subarray(0, 256 * 1024))
        registry.count(request, 256 * 1024)
      })
      return () => stalled
    }

    it("fails after the idle timeout, not after minutes of silence, keeping what arrived", async () => {
      stallOnce()
      const store = freshStore()
      try {
        const error = await errorOf(store.pull(`${registry.host}/big:1`, { retries: 0, idleTimeoutMs: 1000 }))
        expect(error).toMatchObject({ _tag: "TruncatedDownload", digest: layer().digest, receivedBytes: 256 * 1024 })
        expect(String(error.detail)).toContain("sent no data for 1 s")
        expect(storedBlobs(store)).not.toContain(layer().digest.slice(7))
      } finally {
        registry.override(`/v2/big/blobs/${layer().digest}`, undefined)
        cleanup(store)
      }
    })

    it("then retries as usual, resuming where the stalled transfer stopped", async () => {
      const stalled = stallOnce()
      registry.requests.length = 0
      const events: Array<PullEvent> = []
      const store = freshStore()
      try {
        const image = await store.pull(`${registry.host}/big:1`, { idleTimeoutMs: 1000, onProgress: (event) => events.push(event) })
        expect(stalled()).toBe(true)
        const blobRequests = registry.requests.filter((r) => r.url.includes(`/blobs/${layer().digest}`))
        expect(blobRequests).toHaveLength(2)
        expect(blobRequests[1]!.headers.range).toBe(`bytes=${256 * 1024}-`)
        expect(events.some((e) => e.type === "layer" && e.status === "resuming")).toBe(true)
        expect(fs.statSync(path.join(store.root, "rootfs", image.manifestDigest.slice(7), "big.bin")).size).toBe(2 * MiB)
      } finally {
        registry.override(`/v2/big/blobs/${layer().digest}`, undefined)
        cleanup(store)
      }
    })

    it("also when the registry never answers the request at all", async () => {
      registry.override(`/v2/big/blobs/${layer().digest}`, () => undefined)
      registry.requests.length = 0
      const store = freshStore()
      try {
        const error = await errorOf(store.pull(`${registry.host}/big:1`, { retries: 1, idleTimeoutMs: 500 }))
        expect(error).toMatchObject({ _tag: "TruncatedDownload", receivedBytes: 0 })
        expect(String(error.detail)).toContain("sent no data for 0.5 s")
        expect(registry.requests.filter((r) => r.url.includes(`/blobs/${layer().digest}`)).length).toBeGreaterThanOrEqual(2)
      } finally {
        registry.override(`/v2/big/blobs/${layer().digest}`, undefined)
        cleanup(store)
      }
    })
  })
})
