/**
 * `prune` removes what nothing uses and nothing else: partial downloads and unpack directories
 * of pulls that were SIGKILLed mid-way (kept while the pull lives), run directories of killed
 * processes (kept while their owner lives, judged by pid, start time, boot id and PID namespace
 * rather than `kill(pid, 0)`), and bases `remove` kept for a run that has ended since. The
 * killed processes are real: a bundled script run with node and SIGKILLed at a known point.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ImageStore } from "../src/index.js"
import { ownStamp } from "../src/internal/owner.js"
import { bigImage, buildLayout, makeTempDir, prerequisite, removeDir, type ScriptedRegistry, smallImage, startScriptedRegistry } from "@krunbox/testing"

const here = path.dirname(fileURLToPath(import.meta.url))
const esbuild = path.resolve(here, "../node_modules/.bin/esbuild")
const needs = prerequisite(fs.existsSync(esbuild) ? undefined : `needs the workspace's esbuild at ${esbuild} to bundle the child script`)

/** What the child does, then it waits to be killed. */
const script = (srcIndex: string) => `
import { ImageStore } from ${JSON.stringify(srcIndex)}
const [mode, cacheDir, reference] = process.argv.slice(2)
const store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
const hang = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
if (mode === "run") {
  const run = await store.prepareRootfs(reference, { strategy: "copy", pull: "never" })
  console.log("ready " + run.rootfsDir)
  hang()
}
await store.pull(reference, {
  retries: 0,
  idleTimeoutMs: 600_000,
  onProgress: (event) => {
    if (mode === "download" && event.type === "layer" && event.status === "downloading") console.log("ready")
    // the first layer is unpacked into tmp/: stop in the middle of the unpack, for good
    if (mode === "unpack" && event.type === "unpacking" && event.index === 1) {
      console.log("ready")
      hang()
    }
  }
})
console.log("finished")
`

describe.skipIf(needs.skip)(needs.title("prune"), () => {
  let work: string
  let registry: ScriptedRegistry
  let bundle: string
  let bundleDir: string
  let cacheDir: string
  let store: ImageStore
  const children: Array<ChildProcess> = []

  beforeAll(async () => {
    needs.check()
    work = makeTempDir("prune")
    registry = await startScriptedRegistry()
    const big = buildLayout(path.join(work, "big"), "1", [bigImage(2)])
    const two = buildLayout(path.join(work, "two"), "1", [
      { ...smallImage("first"), layers: [...smallImage("first").layers, ...smallImage("second").layers] }
    ])
    registry.serve("big", big.dir)
    registry.serve("two", two.dir)
    // the big layer stalls after 256 KiB: a pull of it hangs in the middle of the download
    const layer = big.images[0]!.layers[0]!
    registry.override(`/v2/big/blobs/${layer.digest}`, (_request, response) => {
      response.writeHead(200, { "content-length": String(layer.size), "content-type": "application/octet-stream" })
      response.write(fs.readFileSync(path.join(big.dir, "blobs", "sha256", layer.digest.slice(7))).subarray(0, 256 * 1024))
    })
    const source = path.join(work, "child.ts")
    fs.writeFileSync(source, script(path.resolve(here, "../src/index.ts")))
    bundleDir = fs.mkdtempSync(path.resolve(here, "../node_modules/.krunbox-test-prune-"))
    bundle = path.join(bundleDir, "child.mjs")
    execFileSync(esbuild, ["--bundle", "--platform=node", "--format=esm", "--log-level=warning", `--outfile=${bundle}`, source])
    cacheDir = path.join(work, "cache")
    store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
  })
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL")
    await registry?.stop()
    removeDir(work)
    removeDir(bundleDir)
  })

  /** Starts the child and resolves with its first line once it says it is ready. */
  const startChild = (mode: string, reference: string) =>
    new Promise<{ child: ChildProcess; line: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bundle, mode, cacheDir, reference], { stdio: ["ignore", "pipe", "pipe"] })
      children.push(child)
      let out = ""
      let err = ""
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        const line = out.split("\n").find((l) => l.startsWith("ready"))
        if (line !== undefined) resolve({ child, line })
      })
      child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
      child.on("exit", (code) => reject(new Error(`child ${mode} exited with ${code} before it was ready: ${out}${err}`)))
    })
  const kill = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.removeAllListeners("exit")
      child.on("exit", () => resolve())
      child.kill("SIGKILL")
    })
  const entries = (dir: string) => (fs.existsSync(path.join(store.root, dir)) ? fs.readdirSync(path.join(store.root, dir)) : [])

  it("keeps the partial download of a live pull, and removes it once that pull was SIGKILLed", async () => {
    const { child } = await startChild("download", `${registry.host}/big:1`)
    const partial = () => entries("partial").find((name) => !name.endsWith(".lock"))
    // the registry stops after 256 KiB; wait until they are on disk
    for (let i = 0; i < 400 && (partial() === undefined || fs.statSync(path.join(store.root, "partial", partial()!)).size < 256 * 1024); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const live = await store.prune()
    expect(live.removedDownloads).toBe(0)
    expect(store.usage().downloads).toEqual([expect.objectContaining({ active: true, bytes: 256 * 1024 })])
    await kill(child)
    expect(store.usage().downloads).toEqual([expect.objectContaining({ active: false })])
    const pruned = await store.prune()
    expect(pruned.removedDownloads).toBe(1)
    expect(pruned.freedBytes).toBeGreaterThanOrEqual(256 * 1024)
    // the lock, the pull's marker and the blobs it had finished (manifest, config) go too
    expect(entries("partial")).toEqual([])
    expect(entries("pulls")).toEqual([])
    expect(entries("blobs/sha256")).toEqual([])
  })

  it("keeps the unpack directory of a live pull, and removes it once that pull was SIGKILLed mid-unpack", async () => {
    const { child } = await startChild("unpack", `${registry.host}/two:1`)
    expect(entries("tmp")).toHaveLength(1)
    expect((await store.prune()).removedUnpackDirs).toBe(0)
    expect(entries("tmp")).toHaveLength(1)
    expect(store.usage().unpackDirs).toEqual([expect.objectContaining({ active: true })])
    await kill(child)
    const pruned = await store.prune()
    expect(pruned.removedUnpackDirs).toBe(1)
    expect(pruned.deletedBlobs).toBe(4) // manifest, config, two layers: never recorded
    expect(entries("tmp")).toEqual([])
    expect(entries("rootfs")).toEqual([])
    expect(entries("blobs/sha256")).toEqual([])
  })

  it("removes the run directory of a SIGKILLed process, never a live one", async () => {
    await store.pull(`${registry.host}/two:1`)
    const { child, line } = await startChild("run", `${registry.host}/two:1`)
    const killedRun = path.dirname(line.slice("ready ".length))
    await using mine = await store.prepareRootfs(`${registry.host}/two:1`, { strategy: "copy", pull: "never" })
    expect((await store.prune()).staleRuns).toBe(0)
    await kill(child)
    expect(store.usage().runs.filter((run) => !run.live).map((run) => run.id)).toEqual([path.basename(killedRun)])
    const pruned = await store.prune()
    expect(pruned.staleRuns).toBe(1)
    expect(fs.existsSync(killedRun)).toBe(false)
    expect(fs.existsSync(mine.rootfsDir)).toBe(true)
  })

  describe("decides a run's owner is dead by more than kill(pid, 0)", () => {
    /** A run directory whose owner.json says what the test wants, touched `ageMs` ago. */
    const fakeRun = (name: string, owner: Record<string, unknown>, ageMs = 0) => {
      const dir = path.join(store.root, "runs", name)
      fs.mkdirSync(dir, { recursive: true })
      const file = path.join(dir, "owner.json")
      fs.writeFileSync(file, JSON.stringify({ manifestDigest: `sha256:${"0".repeat(64)}`, strategy: "copy", createdAt: new Date().toISOString(), ...owner }))
      const when = new Date(Date.now() - ageMs)
      fs.utimesSync(file, when, when)
      return dir
    }

    it("a live pid that started at another time is a reused pid: the run is stale", async () => {
      // kill(pid, 0) on this very process succeeds, yet this run's owner was another process
      const dir = fakeRun("reused-pid", { ...ownStamp(), startTicks: (ownStamp().startTicks ?? 0) + 1 })
      expect((await store.prune()).staleRuns).toBe(1)
      expect(fs.existsSync(dir)).toBe(false)
    })

    it("an owner of an earlier boot is dead", async () => {
      const dir = fakeRun("earlier-boot", { ...ownStamp(), bootId: "00000000-0000-0000-0000-000000000000" })
      expect((await store.prune()).staleRuns).toBe(1)
      expect(fs.existsSync(dir)).toBe(false)
    })

    it("an owner in another PID namespace lives while its heartbeat is fresh, even with a pid unknown here", async () => {
      const foreign = { pid: 4_000_000, startTicks: 1, bootId: ownStamp().bootId, pidNamespace: "pid:[1]" }
      const fresh = fakeRun("foreign-fresh", foreign)
      const silent = fakeRun("foreign-silent", foreign, 11 * 60_000)
      expect((await store.prune()).staleRuns).toBe(1)
      expect(fs.existsSync(fresh)).toBe(true)
      expect(fs.existsSync(silent)).toBe(false)
      fs.rmSync(fresh, { recursive: true })
    })
  })

  it("a base that remove kept for a live run is listed unreferenced, and pruned once the run ended", async () => {
    const image = await store.pull(`${registry.host}/two:1`)
    const run = await store.prepareRootfs(`${registry.host}/two:1`, { strategy: "copy", pull: "never" })
    await store.remove(`${registry.host}/two:1`)
    const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
    expect(fs.existsSync(base)).toBe(true)
    expect(store.usage().bases).toEqual([expect.objectContaining({ manifestDigest: image.manifestDigest, references: [], liveRuns: 1 })])
    expect((await store.prune()).removedBases).toBe(0)
    await run.dispose()
    const usage = store.usage()
    expect(usage.reclaimableBytes).toBeGreaterThan(0)
    const pruned = await store.prune()
    expect(pruned.removedBases).toBe(1)
    expect(pruned.freedBytes).toBeGreaterThanOrEqual(usage.reclaimableBytes)
    expect(entries("rootfs")).toEqual([])
    expect(store.usage()).toMatchObject({ images: [], bases: [], runs: [], downloads: [], unpackDirs: [], reclaimableBytes: 0 })
  })
})
