/**
 * `krunbox prune`, `krunbox system df` and `krunbox images --all` through the built CLI, on a
 * private store filled from the scripted registry of @krunbox/testing: a pull SIGKILLed in the
 * middle of a download, and a base `rmi` keeps while a run (prepared by this test process) uses it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, runCli } from "./cliProcess.js"
import { Image } from "@krunbox/sdk"
import { bigImage, buildLayout, makeTempDir, removeDir, type ScriptedRegistry, smallImage, startScriptedRegistry } from "@krunbox/testing"

const cacheDir = fs.mkdtempSync(join(tmpdir(), "krunbox-cli-prune-"))
const storeDir = join(cacheDir, "images")
const env = { ...process.env, KRUNBOX_IMAGE_STORE: storeDir }

const krunbox = (args: ReadonlyArray<string>) => runCli(args, env)

describe("krunbox prune, system df and images --all", () => {
  let work = ""
  let registry: ScriptedRegistry
  const ref = (name: string) => `${registry.host}/${name}`
  const store = Image.ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
  const killed: Array<ChildProcess> = []

  beforeAll(async () => {
    work = makeTempDir("cli-prune")
    registry = await startScriptedRegistry()
    const small = buildLayout(join(work, "small"), "1", [smallImage("prune")])
    const big = buildLayout(join(work, "big"), "1", [bigImage(2)])
    registry.serve("small", small.dir)
    registry.serve("big", big.dir)
    // the big layer stops after 256 KiB and never ends: a pull of it hangs mid-download
    const layer = big.images[0]!.layers[0]!
    registry.override(`/blobs/${layer.digest}`, (_request, response) => {
      response.writeHead(200, { "content-length": String(layer.size) })
      response.write(fs.readFileSync(join(big.dir, "blobs", "sha256", layer.digest.slice(7))).subarray(0, 256 * 1024))
    })
  })
  afterAll(async () => {
    for (const child of killed) child.kill("SIGKILL")
    await registry?.stop()
    removeDir(work)
    removeDir(cacheDir)
  })

  it("system df shows a SIGKILLed pull's partial download as reclaimable; prune removes it and says so", async () => {
    const pull = spawn(process.execPath, [bin, "pull", ref("big:1")], { stdio: "ignore", env })
    killed.push(pull)
    const partial = join(storeDir, "partial")
    const received = () =>
      fs.existsSync(partial) ? fs.readdirSync(partial).filter((n) => !n.endsWith(".lock")).reduce((sum, n) => sum + fs.statSync(join(partial, n)).size, 0) : 0
    for (let i = 0; i < 600 && received() < 256 * 1024; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    await new Promise<void>((resolve) => {
      pull.on("exit", () => resolve())
      pull.kill("SIGKILL")
    })
    const df = await krunbox(["system", "df"])
    expect(df.status).toBe(0)
    expect(df.stdout.split("\n")[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/)
    expect(df.stdout).toMatch(/^Partial downloads\s+1\s+0\s+256\.0 KiB\s+256\.0 KiB$/m)
    expect(df.stdout).toMatch(/^Total .* in .*; .* reclaimable with krunbox prune$/m)
    const pruned = await krunbox(["prune"])
    expect(pruned.status).toBe(0)
    expect(pruned.stdout).toMatch(/^Removed 1 partial download, \d+ unused blobs?: [\d.]+ KiB freed\n$/)
    const after = JSON.parse((await krunbox(["system", "df", "--json"])).stdout) as Image.StoreUsage
    expect(after).toMatchObject({ downloads: [], reclaimableBytes: 0 })
    expect((await krunbox(["prune"])).stdout).toBe("Nothing to remove\n")
  })

  it("images --all lists what rmi kept for a live run as <none>, and prune removes it once the run ended", async () => {
    expect((await krunbox(["pull", ref("small:1")])).status).toBe(0)
    const run = await store.prepareRootfs(ref("small:1"), { strategy: "copy", pull: "never" })
    expect((await krunbox(["rmi", ref("small:1")])).status).toBe(0)
    const table = await krunbox(["images", "--all"])
    expect(table.stdout.split("\n")[0]).toMatch(/^REFERENCE\s+DIGEST\s+PLATFORM\s+SIZE\s+UNPACKED\s+RUNS\s+PULLED$/)
    expect(table.stdout).toMatch(/^<none>\s+sha256:[0-9a-f]{12}\s+-\s+-\s+[\d.]+ (B|KiB)\s+1\s+-$/m)
    const rows = JSON.parse((await krunbox(["images", "--all", "--json"])).stdout) as Array<Record<string, unknown>>
    expect(rows).toEqual([expect.objectContaining({ reference: null, liveRuns: 1, unpackedBytes: expect.any(Number) })])
    expect((await krunbox(["prune"])).stdout).toBe("Nothing to remove\n")
    await run.dispose()
    const pruned = JSON.parse((await krunbox(["prune", "--json"])).stdout) as Image.PruneResult
    expect(pruned).toMatchObject({ removedBases: 1, staleRuns: 0 })
    expect(pruned.freedBytes).toBeGreaterThan(0)
    expect((await krunbox(["images", "--all", "--json"])).stdout.trim()).toBe("[]")
  })

  it.each([["prune"], ["system"]])("%s --help teaches with examples, and completion offers it", async (command) => {
    const help = await krunbox([command, "--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("Examples:")
    expect(help.stdout).toContain("krunbox system df")
    expect((await krunbox(["completion", "bash"])).stdout).toContain(command)
  })

  it("system without df is a usage error naming the fix", async () => {
    const result = await krunbox(["system", "du"])
    expect(result.status).toBe(125)
    expect(result.stderr).toContain("krunbox system df")
  })
})
