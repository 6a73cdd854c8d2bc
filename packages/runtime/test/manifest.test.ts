import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Manifest from "../src/Manifest.js"
import { compareVersions, parseLdconfig } from "../src/internal/systemLibs.js"

const valid: Manifest.RuntimeManifest = {
  schema: 1,
  libkrun: { path: "/c/libkrun.so", version: "1.19.0", sha256: "a".repeat(64), source: "built", features: ["blk", "net"] },
  libkrunfw: { path: "/c/libkrunfw.so.5", version: "5.5.0", sha256: "b".repeat(64), source: "deb" },
  init: { path: "/c/krunbox-init", sha256: "c".repeat(64), protocol: 1, embeddedInLibkrun: true },
  rootfs: { path: "/c/rootfs", busybox: "1:1.38.0-3", sha256: "d".repeat(64) },
  runsc: null
}

describe("Manifest.problemOf", () => {
  it("accepts a complete manifest, with or without runsc", () => {
    expect(Manifest.problemOf(valid)).toBeUndefined()
    expect(Manifest.problemOf({ ...valid, runsc: { path: "/usr/bin/runsc", version: "runsc version x" } })).toBeUndefined()
  })

  it.each([
    ["a wrong schema", { ...valid, schema: 2 }, '"schema" is 2'],
    ["a missing libkrun", { ...valid, libkrun: undefined }, '"libkrun" is missing'],
    ["an unknown libkrun source", { ...valid, libkrun: { ...valid.libkrun, source: "magic" } }, "libkrun.source"],
    ["non-array features", { ...valid, libkrun: { ...valid.libkrun, features: "blk" } }, "libkrun.features"],
    ["a missing libkrunfw path", { ...valid, libkrunfw: { ...valid.libkrunfw, path: "" } }, "libkrunfw.path"],
    ["a non-numeric init protocol", { ...valid, init: { ...valid.init, protocol: "1" } }, "init.protocol"],
    ["a malformed runsc", { ...valid, runsc: { path: "/x" } }, "runsc.version"]
  ])("rejects %s", (_name, value, problem) => {
    expect(Manifest.problemOf(value)).toContain(problem)
  })
})

describe("Manifest.read / write", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-manifest-"))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("round-trips through an atomic write, leaving no temp files", async () => {
    const file = path.join(dir, "runtime.json")
    await Effect.runPromise(Manifest.write(file, valid))
    expect(await Effect.runPromise(Manifest.read(file))).toEqual(valid)
    expect(fs.readdirSync(dir)).toEqual(["runtime.json"])
  })

  it("fails with ManifestInvalid when the file is missing, saying to run setup", async () => {
    const error = await Effect.runPromise(Effect.flip(Manifest.read(path.join(dir, "absent.json"))))
    expect(error._tag).toBe("ManifestInvalid")
    expect(error.problem).toContain("setup has not run")
    expect(error.fix).toContain("krunbox setup")
  })

  it("fails with ManifestInvalid on malformed JSON", async () => {
    const file = path.join(dir, "broken.json")
    fs.writeFileSync(file, "{")
    const error = await Effect.runPromise(Effect.flip(Manifest.read(file)))
    expect(error.problem).toContain("not valid JSON")
  })
})

describe("system library discovery helpers", () => {
  it("parses ldconfig -p, keeping the first match per soname", () => {
    const out = [
      "3 libs found in cache `/etc/ld.so.cache'",
      "\tlibkrunfw.so.5 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libkrunfw.so.5",
      "\tlibkrunfw.so.5 (libc6,x86-64) => /usr/local/lib/libkrunfw.so.5",
      "\tlibkrun.so.1 (libc6) => /usr/lib32/libkrun.so.1"
    ].join("\n")
    const libs = parseLdconfig(out)
    if (process.arch === "x64") {
      expect(libs.get("libkrunfw.so.5")).toBe("/usr/lib/x86_64-linux-gnu/libkrunfw.so.5")
      expect(libs.has("libkrun.so.1")).toBe(false) // a 32-bit library is not for us
    }
  })

  it.each([
    ["1.17.0", "1.17.0", 0],
    ["1.19.0", "1.17.0", 1],
    ["1.9.0", "1.17.0", -1],
    ["1.85", "1.85.0", 0],
    ["5.5.0+ds", "5.4.9", 1]
  ] as const)("compareVersions(%s, %s) has sign %d", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign)
  })
})
