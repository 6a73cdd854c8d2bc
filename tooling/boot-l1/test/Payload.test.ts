import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { isStaticElf } from "../src/Busybox.js"
import { parseLdd, runScript } from "../src/Payload.js"
import { krunboxCacheDir, l1CacheDir } from "../src/Paths.js"

describe("parseLdd", () => {
  it("collects resolved libraries and the dynamic loader", () => {
    const output = [
      "\tlinux-vdso.so.1 (0x00007ffd)",
      "\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f00)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f01)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f02)",
      "\tlibmissing.so => not found"
    ].join("\n")
    expect(parseLdd(output)).toEqual(["/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
  })

  it("lists the real libraries of this node binary", () => {
    const libs = parseLdd(execFileSync("ldd", [process.execPath], { encoding: "utf8" }))
    expect(libs.some((lib) => lib.endsWith("/libc.so.6"))).toBe(true)
  })
})

describe("isStaticElf", () => {
  it("tells a dynamically linked binary (this node) from a static one", () => {
    expect(isStaticElf(readFileSync(process.execPath).subarray(0, 65536))).toBe(false)
    expect(isStaticElf(Buffer.from("#!/bin/sh\n"))).toBe(false)
  })

  it.skipIf(!existsSync("/bin/busybox"))("recognises Debian's busybox-static (no /bin/busybox on this host)", () => {
    const busybox = readFileSync("/bin/busybox")
    // ldd exits 1 with "not a dynamic executable" for a static binary
    const dynamic = spawnSync("ldd", ["/bin/busybox"], { encoding: "utf8" }).stdout.includes("=>")
    expect(isStaticElf(busybox)).toBe(!dynamic)
  })
})

describe("runScript", () => {
  it("exports the environment, quotes values and marks each step with its exit status", () => {
    const script = runScript({
      busybox: "/bin/busybox",
      env: { PATH: "/n:/bin", ODD: "it's" },
      steps: [{ name: "sdk", cwd: "/w/packages/sdk", command: ["/n/node", "/v/vitest.mjs", "run", "-t", "two words"], shell: false, resultsFile: "/r.json" }]
    })
    expect(script).toContain("export PATH=/n:/bin\n")
    expect(script).toContain(`export ODD='it'\\''s'\n`)
    expect(script).toContain("( cd /w/packages/sdk && /n/node /v/vitest.mjs run -t 'two words' )\n")
    expect(script).toContain(`mark step-exit sdk "$?"`)
  })
})

describe("cache paths", () => {
  it("follows KRUNBOX_CACHE_DIR, then XDG_CACHE_HOME", () => {
    expect(krunboxCacheDir({ KRUNBOX_CACHE_DIR: "/c/k" })).toBe("/c/k")
    expect(krunboxCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/krunbox")
    expect(l1CacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/krunbox/l1")
  })
})
