/**
 * The real native runtime: `Setup.run()` into the default cache (cold: builds libkrun, minutes),
 * then checks what it made. Other test files rely on the same cache.
 */
import { Libkrun } from "@krunbox/ffi"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { readElfInfo } from "../src/internal/elf.js"
import * as Manifest from "../src/Manifest.js"
import * as Setup from "../src/Setup.js"
import { prerequisite } from "@krunbox/testing"

const SETUP_TIMEOUT = 15 * 60_000
const hasReadelf = spawnSync("readelf", ["--version"]).status === 0

let manifest: Setup.RuntimeManifest
const firstRun: Array<Setup.SetupProgress> = []

describe("Setup (real native runtime in the default cache)", () => {
  beforeAll(async () => {
    manifest = await Setup.run({ onProgress: (event) => firstRun.push(event) })
  }, SETUP_TIMEOUT)

  it("reports start/done or skip for every step", () => {
    for (const step of ["init", "libkrun", "libkrunfw", "rootfs", "runsc"] as const) {
      const statuses = firstRun.filter((e) => e.step === step).map((e) => e.status)
      expect(statuses.includes("skip") || (statuses.includes("start") && statuses.includes("done")), step).toBe(true)
    }
  })

  it("is idempotent: a second run skips every step and returns the same manifest", async () => {
    const events: Array<Setup.SetupProgress> = []
    const again = await Setup.run({ onProgress: (e) => events.push(e) })
    expect(events.map((e) => [e.step, e.status])).toEqual([
      ["init", "skip"],
      ["libkrun", "skip"],
      ["libkrunfw", "skip"],
      ["rootfs", "skip"],
      ["runsc", "skip"]
    ])
    expect(again).toEqual(manifest)
  })

  it("keeps the current builds and the two newest older ones, and removes the rest", async () => {
    // <cache>/init/<sha>/krunbox-init
    const initDir = path.dirname(path.dirname(manifest.init.path))
    const olds = ["00000000000a", "00000000000b", "00000000000c"].map((name, i) => {
      const dir = path.join(initDir, name)
      fs.mkdirSync(dir, { recursive: true })
      // a before b before c, all older than anything a real setup made
      fs.utimesSync(dir, new Date(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000))
      return dir
    })
    const again = await Setup.run()
    expect(fs.existsSync(olds[0]!)).toBe(false)
    for (const file of [again.init.path, again.libkrun.path, again.libkrunfw.path, again.rootfs.path]) {
      expect(fs.existsSync(file)).toBe(true)
    }
    for (const dir of olds) fs.rmSync(dir, { recursive: true, force: true })
  })

  it("ensure() returns the recorded manifest without running anything", async () => {
    const events: Array<Setup.SetupProgress> = []
    expect(await Setup.ensure({ onProgress: (e) => events.push(e) })).toEqual(manifest)
    expect(events).toEqual([])
  })

  it("writes a runtime.json that load() reads back and that matches the schema", async () => {
    const file = path.join(Setup.defaultCacheDir(), "runtime.json")
    const onDisk = JSON.parse(fs.readFileSync(file, "utf8")) as unknown
    expect(Manifest.problemOf(onDisk)).toBeUndefined()
    expect(await Setup.load()).toEqual(manifest)
    expect(manifest.schema).toBe(1)
    expect(manifest.libkrunfw.version).toMatch(/^5\./)
    expect(manifest.init.protocol).toBe(1)
    for (const entry of [manifest.libkrun, manifest.libkrunfw, manifest.init, manifest.rootfs]) {
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/)
    }
    if (manifest.libkrun.source === "built") {
      expect(manifest.libkrun.version).toBe("1.19.0")
      expect(manifest.libkrun.features).toEqual(["blk", "net"])
      expect(manifest.init.embeddedInLibkrun).toBe(true)
      expect(fs.readlinkSync(path.join(path.dirname(manifest.libkrun.path), "libkrun.so.1"))).toBe("libkrun.so")
    }
  })

  it("builds a static init with no ELF interpreter", () => {
    const info = readElfInfo(manifest.init.path)
    expect(info).toMatchObject({ isElf: true, is64: true, type: "executable", hasInterpreter: false, hasDynamicSection: false })
    expect(spawnSync(manifest.init.path, ["--version"], { encoding: "utf8" }).stdout).toBe("krunbox-init/0.1.0 protocol 1\n")
  })

  const readelf = prerequisite(hasReadelf ? "" : "needs readelf (apt-get install binutils)")
  it.skipIf(readelf.skip)(readelf.title("readelf agrees: no INTERP program header, no dynamic section"), () => {
    readelf.check()
    const out = spawnSync("readelf", ["-lW", manifest.init.path], { encoding: "utf8" }).stdout
    expect(out).toContain("Elf file type is EXEC")
    expect(out).not.toContain("INTERP")
    expect(out).not.toContain("DYNAMIC")
  })

  it("embeds our init in the built libkrun", () => {
    if (manifest.libkrun.source !== "built") return
    const library = fs.readFileSync(manifest.libkrun.path)
    expect(library.includes(Buffer.from("krunbox-init/0.1.0"))).toBe(true)
  })

  it("makes a default rootfs with an executable /bin/sh that runs on the host", () => {
    const root = manifest.rootfs.path
    const sh = path.join(root, "bin", "sh")
    fs.accessSync(sh, fs.constants.X_OK)
    const hi = spawnSync(path.join(root, "bin", "busybox"), ["echo", "hi"], { encoding: "utf8" })
    expect(hi.stdout).toBe("hi\n")
    expect(spawnSync(sh, ["-c", "echo $((6 * 7))"], { encoding: "utf8" }).stdout).toBe("42\n")
    for (const applet of ["sh", "echo", "true", "false", "cat", "ls", "env", "sleep", "id", "mkdir"]) {
      expect(fs.existsSync(path.join(root, "bin", applet)), applet).toBe(true)
    }
    for (const dir of ["proc", "sys", "dev", "root", "run", "var"]) {
      expect(fs.statSync(path.join(root, dir)).isDirectory(), dir).toBe(true)
    }
    expect(fs.statSync(path.join(root, "tmp")).mode & 0o7777).toBe(0o1777)
    expect(fs.readFileSync(path.join(root, "etc", "passwd"), "utf8")).toMatch(/^root:x:0:0:/)
    expect(fs.readFileSync(path.join(root, "etc", "group"), "utf8")).toMatch(/^root:x:0:/)
    expect(fs.readFileSync(path.join(root, "etc", "hostname"), "utf8")).toBe("krunbox\n")
  })

  it("loads the real libkrun from the manifest and creates and frees a context", () => {
    const krun = Libkrun.load({ path: manifest.libkrun.path, libkrunfwPath: manifest.libkrunfw.path })
    expect(krun.realPath).toBe(fs.realpathSync(manifest.libkrun.path))
    expect(krun.libkrunfw?.getVersion()).toBe(5)
    if (manifest.libkrun.source === "built") {
      expect(krun.hasFeature(0)).toBe(true) // KRUN_FEATURE_NET
      expect(krun.hasFeature(1)).toBe(true) // KRUN_FEATURE_BLK
    }
    const ctx = krun.createCtx()
    expect(ctx).toBeGreaterThanOrEqual(0)
    krun.setVmConfig(ctx, 1, 256)
    krun.freeCtx(ctx)
  })

  it("records runsc when it is installed", () => {
    const runsc = ["/usr/bin/runsc", "/usr/local/bin/runsc", "/usr/sbin/runsc"].find((p) => fs.existsSync(p))
    if (runsc === undefined) {
      expect(manifest.runsc).toBeNull()
    } else {
      expect(manifest.runsc?.version).toMatch(/runsc/)
    }
  })
})
