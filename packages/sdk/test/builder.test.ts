/**
 * MicroVm.builder(): parsing, validation through @krunbox/core (its typed errors, `_tag` kept),
 * and the default rootfs.
 */
import { ConfigError, Rootfs } from "@krunbox/core"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DefaultRootfsUnavailable, MicroVm } from "../src/index.js"
import { Manifest } from "@krunbox/runtime"
import { which } from "../src/internal/which.js"
import { prerequisite } from "@krunbox/testing"
import { hasBusybox, makeBusyboxRootfs } from "./helpers/rootfs.js"

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error("expected a throw")
}

let fixture: { readonly dir: string; readonly rootfs: string }
beforeAll(() => {
  fixture = hasBusybox ? makeBusyboxRootfs() : { dir: mkdtempSync(join(tmpdir(), "krunbox-test-")), rootfs: tmpdir() }
})
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }))

describe("MicroVm.builder()", () => {
  it("builds core's MicroVmConfig from the CLI's string forms", () => {
    const vm = MicroVm.builder()
      .rootfs(fixture.rootfs)
      .ramMib(512)
      .numVcpus(1)
      .execPath("/bin/sh")
      .args(["-c", "echo hi; exit 3"])
      .env(["GREETING=hi", "EQ=a=b"])
      .workdirPath("/tmp")
      .mappedDirs([`${fixture.dir}:/work`])
      .portMap(["8080:80", 9000])
      .scope("ANY")
      .rlimits(["nofile=10:unlimited"])
      .logLevel("debug")
      .build()
    expect(vm.engineChoice).toBe("auto")
    expect(vm.config).toMatchObject({
      rootfs: { _tag: "Native", path: fixture.rootfs },
      memoryMib: 512,
      numVcpus: 1,
      env: [{ key: "GREETING", value: "hi" }, { key: "EQ", value: "a=b" }],
      mappedDirs: [{ host: fixture.dir, guest: "/work" }],
      portMap: [{ host: 8080, guest: 80 }, { host: 9000, guest: 9000 }],
      scope: "any",
      rlimits: [{ resource: 7, name: "RLIMIT_NOFILE", soft: 10n, hard: 18446744073709551615n }],
      logLevel: 4
    })
  })

  it("ramMib and memoryMib are the same setting; defaults come from core", () => {
    const base = MicroVm.builder().rootfs(fixture.rootfs).execPath("/bin/true")
    expect(base.ramMib(300).build().config.memoryMib).toBe(300)
    expect(base.memoryMib(300).build().config.memoryMib).toBe(300)
    expect(base.build().config).toMatchObject({ memoryMib: 1024, numVcpus: 1, scope: "none", logLevel: 0 })
  })

  it("is immutable: each method returns a new builder", () => {
    const base = MicroVm.builder().rootfs(fixture.rootfs).execPath("/bin/true")
    base.args(["changed"]).engine("gvisor")
    expect(base.build().config.args).toEqual([])
    expect(base.build().engineChoice).toBe("auto")
  })

  it("throws core's InvalidMicroVmConfig with every validation problem, tags kept", () => {
    const error = thrown(() =>
      MicroVm.builder().rootfs(fixture.rootfs).execPath("/bin/true").numVcpus(0).ramMib(0).mappedDirs(["/nonexistent/dir:/x"]).build()
    )
    expect(ConfigError.isInvalidMicroVmConfig(error)).toBe(true)
    expect(error).toBeInstanceOf(ConfigError.InvalidMicroVmConfig)
    const problems = (error as ConfigError.InvalidMicroVmConfig).problems
    expect(problems.map((problem) => problem._tag)).toEqual(["HostPathDoesNotExist", "NumVCPUsIsZero", "MemoryIsZero"])
  })

  it("reports every unparsable string at once, as core's parse errors", () => {
    const error = thrown(() =>
      MicroVm.builder()
        .rootfs(fixture.rootfs)
        .execPath("/bin/true")
        .mappedDirs([":/x"])
        .portMap(["http"])
        .env(["NOEQUALS"])
        .rlimits(["RLIMIT_NOPE=1:2"])
        .scope("wide")
        .logLevel("loud")
        .build()
    )
    expect(ConfigError.isInvalidMicroVmConfig(error)).toBe(true)
    expect((error as ConfigError.InvalidMicroVmConfig).problems.map((problem) => problem._tag).sort()).toEqual(
      ["InvalidEnvPair", "InvalidLogLevel", "InvalidNetworkScope", "InvalidPathPair", "InvalidPortPair", "InvalidRlimitResource"]
    )
  })

  it("requires execPath", () => {
    const error = thrown(() => MicroVm.builder().rootfs(fixture.rootfs).build())
    expect((error as ConfigError.InvalidMicroVmConfig).problems.map((problem) => problem._tag)).toContain("MissingRequiredField")
  })

  it("accepts core's typed values as well as strings", () => {
    const vm = MicroVm.builder().rootfs(Rootfs.native(fixture.rootfs)).execPath("/bin/true").env([{ key: "A", value: "b" }]).build()
    expect(vm.config.env).toEqual([{ key: "A", value: "b" }])
  })
})

describe("MicroVm.builder() with an image rootfs", () => {
  it("builds without execPath: the image's Entrypoint/Cmd is resolved at spawn time", () => {
    const vm = MicroVm.builder().rootfs(Rootfs.image("localhost:5000/busybox:latest")).args(["-c", "true"]).build()
    expect(vm.image).toEqual({ _tag: "Image", reference: "localhost:5000/busybox:latest" })
    expect(vm.config).toMatchObject({ execPath: "", args: ["-c", "true"] })
  })

  it(".image(reference) is .rootfs(Rootfs.image(reference))", () => {
    const a = MicroVm.builder().image("alpine:3.20").execPath("/bin/true").build()
    const b = MicroVm.builder().rootfs(Rootfs.image("alpine:3.20")).execPath("/bin/true").build()
    expect(a.image).toEqual(b.image)
    expect(a.config).toEqual(b.config)
    expect(MicroVm.builder().rootfs(fixture.rootfs).execPath("/bin/true").build().image).toBeUndefined()
  })

  it("reports a malformed reference with the other problems, as core's InvalidImageReference", () => {
    const error = thrown(() => MicroVm.builder().image("Alpine:3.20").numVcpus(0).mappedDirs(["/nonexistent/dir:/x"]).env(["NOEQUALS"]).build())
    expect(ConfigError.isInvalidMicroVmConfig(error)).toBe(true)
    const problems = (error as ConfigError.InvalidMicroVmConfig).problems
    expect(problems.map((problem) => problem._tag).sort()).toEqual(["InvalidEnvPair", "InvalidImageReference"])
    expect(problems.find((problem) => problem._tag === "InvalidImageReference")).toMatchObject({
      reference: "Alpine:3.20",
      reason: "repository names must be lowercase (\"Alpine\")"
    })
  })

  it("still validates everything that does not depend on the image at build()", () => {
    const error = thrown(() => MicroVm.builder().image("alpine").numVcpus(0).mappedDirs(["/nonexistent/dir:/x"]).args(["a\nb"]).build())
    expect((error as ConfigError.InvalidMicroVmConfig).problems.map((problem) => problem._tag)).toEqual([
      "HostPathDoesNotExist",
      "NumVCPUsIsZero",
      "InvalidCommandLineString"
    ])
  })
})

describe("default rootfs", () => {
  it("without a runtime cache, build() says to run setup", () => {
    const empty = mkdtempSync(join(tmpdir(), "krunbox-test-cache-"))
    const saved = process.env["KRUNBOX_CACHE_DIR"]
    process.env["KRUNBOX_CACHE_DIR"] = empty
    try {
      const error = thrown(() => MicroVm.builder().execPath("/bin/true").build())
      expect(DefaultRootfsUnavailable.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ _tag: "DefaultRootfsUnavailable", manifest: join(empty, "runtime.json") })
      expect((error as DefaultRootfsUnavailable).hint).toContain("krunbox setup")
    } finally {
      if (saved === undefined) delete process.env["KRUNBOX_CACHE_DIR"]
      else process.env["KRUNBOX_CACHE_DIR"] = saved
      rmSync(empty, { recursive: true, force: true })
    }
  })

  const manifest = Manifest.readInstalled()
  const cacheSkip = manifest._tag !== "Found" ? "no runtime cache (krunbox setup has not run)" : which("runsc") === undefined ? "runsc is not installed" : ""
  const cache = prerequisite(cacheSkip)
  it.skipIf(cache.skip)(cache.title("without .rootfs(), the setup cache's rootfs is used and runs"), async () => {
    cache.check()
    if (manifest._tag !== "Found") return
    const vm = MicroVm.builder().engine("gvisor").execPath("/bin/sh").args(["-c", "echo from-default-rootfs"]).build()
    expect(vm.config.rootfs).toEqual({ _tag: "Native", path: manifest.manifest.rootfs.path })
    expect(await vm.run()).toMatchObject({ status: 0, stdout: "from-default-rootfs\n" })
  })
})
