import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  LibraryNotFound,
  Libkrunfw,
  candidates,
  defaultCacheDir,
  discover,
  libraryFileNames,
  readRuntimeManifest
} from "../src/index.js"
import { koffiLoader } from "../src/internal/native.js"
import { detectVersion } from "../src/internal/version.js"
import { realLibkrun, realLibraryTitle, skipRealLibrary } from "./support/runtime.js"

let scratch: string

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "krunbox-ffi-discovery-"))
})

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

const freshDir = (name: string): string => {
  const dir = join(scratch, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

const writeManifest = (cacheDir: string, manifest: unknown): void => {
  writeFileSync(join(cacheDir, "runtime.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest))
}

const isolated = { env: {}, systemDirectories: [], searchLoaderPath: false } as const

describe("defaultCacheDir", () => {
  it.each([
    [{ KRUNBOX_CACHE_DIR: "/srv/krunbox", XDG_CACHE_HOME: "/x", HOME: "/home/a" }, "/srv/krunbox"],
    [{ XDG_CACHE_HOME: "/var/cache/me", HOME: "/home/a" }, "/var/cache/me/krunbox"],
    [{ XDG_CACHE_HOME: "relative/cache", HOME: "/home/a" }, "/home/a/.cache/krunbox"],
    [{ KRUNBOX_CACHE_DIR: "", HOME: "/home/a" }, "/home/a/.cache/krunbox"]
  ])("reads %j as %s", (env, expected) => {
    expect(defaultCacheDir(env)).toBe(expected)
  })
})

describe("readRuntimeManifest", () => {
  it("reports a cache without runtime.json as missing", () => {
    const cacheDir = freshDir("no-manifest")
    expect(readRuntimeManifest(cacheDir)).toEqual({ _tag: "Missing", manifestPath: join(cacheDir, "runtime.json") })
  })

  it.each([
    ["not JSON", "{oops", /not JSON/],
    ["another schema", { schema: 2 }, /unsupported "schema": 2/],
    ["a relative library path", { schema: 1, libkrun: { path: "lib/libkrun.so" } }, /"libkrun.path" is not an absolute path/]
  ])("reports %s as invalid, with the reason", (name, manifest, reason) => {
    const cacheDir = freshDir(`invalid-${name}`)
    writeManifest(cacheDir, manifest)
    const read = readRuntimeManifest(cacheDir)
    expect(read._tag).toBe("Invalid")
    if (read._tag === "Invalid") expect(read.reason).toMatch(reason)
  })

  it("reads libkrun.path, libkrunfw.path and their versions from schema 1", () => {
    const cacheDir = freshDir("valid-manifest")
    writeManifest(cacheDir, {
      schema: 1,
      libkrun: { path: "/c/libkrun/1.19.0-abc/libkrun.so", version: "1.19.0", sha256: "x", source: "built", features: ["blk", "net"] },
      libkrunfw: { path: "/c/libkrunfw/5.5.0-1/libkrunfw.so.5", version: "5.5.0", sha256: "y", source: "deb" },
      runsc: null
    })
    expect(readRuntimeManifest(cacheDir)).toEqual({
      _tag: "Found",
      manifestPath: join(cacheDir, "runtime.json"),
      libkrun: { path: "/c/libkrun/1.19.0-abc/libkrun.so", version: "1.19.0" },
      libkrunfw: { path: "/c/libkrunfw/5.5.0-1/libkrunfw.so.5", version: "5.5.0" }
    })
  })
})

describe("candidates", () => {
  it("tries the manifest, then the loader, then the system folders", () => {
    const cacheDir = freshDir("order")
    writeManifest(cacheDir, { schema: 1, libkrun: { path: "/c/libkrun.so", version: "1.19.0" } })
    const list = candidates("libkrun", { env: {}, cacheDir, systemDirectories: ["/usr/lib64", "/opt/lib"] })
    expect(list.map((c) => [c.source, c.candidate])).toEqual([
      ["manifest", "/c/libkrun.so"],
      ...libraryFileNames("libkrun").map((name) => ["loader", name]),
      ...libraryFileNames("libkrun").map((name) => ["system", join("/usr/lib64", name)]),
      ...libraryFileNames("libkrun").map((name) => ["system", join("/opt/lib", name)])
    ])
  })

  it("uses only the explicit path when one is given", () => {
    expect(candidates("libkrun", { path: "/a/libkrun.so", env: { KRUNBOX_LIBKRUN: "/b/libkrun.so" } })).toEqual([
      { candidate: "/a/libkrun.so", source: "option" }
    ])
  })

  it("uses only the environment variable when it is set", () => {
    expect(candidates("libkrunfw", { env: { KRUNBOX_LIBKRUNFW: "/b/libkrunfw.so.5" } })).toEqual([
      { candidate: "/b/libkrunfw.so.5", source: "env" }
    ])
  })

  it("ignores an empty environment variable", () => {
    const cacheDir = freshDir("empty-env")
    const list = candidates("libkrun", { ...isolated, env: { KRUNBOX_LIBKRUN: "" }, cacheDir })
    expect(list.map((c) => c.source)).toEqual(["manifest"])
  })
})

describe("discover", () => {
  const loader = koffiLoader("libkrun", "krun_create_ctx")

  it("fails with LibraryNotFound listing every probe and the fix", () => {
    const cacheDir = freshDir("nothing")
    const systemDir = freshDir("empty-system")
    let error: unknown
    try {
      discover("libkrun", { env: {}, cacheDir, systemDirectories: [systemDir], searchLoaderPath: false }, loader)
    } catch (e) {
      error = e
    }
    expect(LibraryNotFound.isInstance(error)).toBe(true)
    const notFound = error as LibraryNotFound
    expect(notFound._tag).toBe("LibraryNotFound")
    expect(notFound.probes.map((p) => [p.source, p.candidate, p.outcome])).toEqual([
      ["manifest", join(cacheDir, "runtime.json"), "missing"],
      ...libraryFileNames("libkrun").map((name) => ["system", join(systemDir, name), "missing"])
    ])
    expect(notFound.message).toContain("krunbox setup")
    expect(notFound.message).toContain("bin/krunbox setup")
    expect(notFound.message).toContain(cacheDir)
    for (const probe of notFound.probes) expect(notFound.message).toContain(probe.candidate)
  })

  it("reports a file that is not a shared library as load-failed, with the loader's reason", () => {
    const bogus = join(freshDir("bogus"), "libkrun.so")
    writeFileSync(bogus, "not an ELF file")
    let error: unknown
    try {
      discover("libkrun", { ...isolated, path: bogus }, loader)
    } catch (e) {
      error = e
    }
    expect(LibraryNotFound.isInstance(error)).toBe(true)
    const [probe] = (error as LibraryNotFound).probes
    expect(probe).toMatchObject({ candidate: bogus, source: "option", outcome: "load-failed" })
    expect(probe?.detail).toBeTruthy()
    expect((error as LibraryNotFound).hint).toMatch(/"path" option/)
  })

  it("does not fall back when the environment variable points nowhere", () => {
    const missing = join(scratch, "nowhere", "libkrun.so")
    let error: unknown
    try {
      discover("libkrun", { env: { KRUNBOX_LIBKRUN: missing }, systemDirectories: ["/usr/lib64"] }, loader)
    } catch (e) {
      error = e
    }
    expect((error as LibraryNotFound).probes).toEqual([{ candidate: missing, source: "env", outcome: "missing" }])
    expect((error as LibraryNotFound).hint).toContain(`KRUNBOX_LIBKRUN=${missing}`)
  })

  it("reports a stale manifest entry and goes on to the system folders", () => {
    const cacheDir = freshDir("stale")
    writeManifest(cacheDir, { schema: 1, libkrun: { path: join(cacheDir, "gone", "libkrun.so"), version: "1.19.0" } })
    let error: unknown
    try {
      discover("libkrun", { ...isolated, cacheDir, systemDirectories: ["/nonexistent-krunbox-dir"] }, loader)
    } catch (e) {
      error = e
    }
    const probes = (error as LibraryNotFound).probes
    expect(probes[0]).toMatchObject({ source: "manifest", outcome: "missing" })
    expect(probes[0]?.detail).toMatch(/stale/)
    expect(probes.slice(1).every((p) => p.source === "system")).toBe(true)
  })

  describe.skipIf(skipRealLibrary)(realLibraryTitle("with the real libraries"), () => {
    it("loads libkrun from the manifest and takes its version from there", () => {
      const krun = realLibkrun()
      const cacheDir = freshDir("real-manifest")
      writeManifest(cacheDir, { schema: 1, libkrun: { path: krun.realPath, version: "1.19.0" } })
      const found = discover("libkrun", { ...isolated, cacheDir }, loader)
      expect(found.source).toBe("manifest")
      expect(found.realPath).toBe(krun.realPath)
      expect(found.probes.at(-1)).toEqual({ candidate: krun.realPath, source: "manifest", outcome: "loaded" })
      expect(detectVersion("libkrun", found.realPath, found.manifest)).toEqual({ version: "1.19.0", source: "manifest" })
    })

    it("refuses a library that is not libkrun", () => {
      const fw = realLibkrun().libkrunfw
      expect(fw).toBeDefined()
      let error: unknown
      try {
        discover("libkrun", { ...isolated, path: fw?.realPath ?? "" }, loader)
      } catch (e) {
        error = e
      }
      expect((error as LibraryNotFound).probes[0]).toMatchObject({
        outcome: "load-failed",
        detail: "not libkrun: it does not export krun_create_ctx"
      })
    })

    it("learns libkrunfw's version from its real file name behind the SONAME symlink", () => {
      const fw = realLibkrun().libkrunfw
      const link = join(freshDir("fw-link"), "libkrunfw.so.5")
      symlinkSync(fw?.realPath ?? "", link)
      const loaded = Libkrunfw.load({ ...isolated, path: link })
      expect(loaded).toBe(fw)
      expect(detectVersion("libkrunfw", fw?.realPath ?? "", undefined)?.source).toBe(
        /\.so\.\d+\.\d+\.\d+$/.test(fw?.realPath ?? "") ? "file-name" : undefined
      )
    })
  })
})
