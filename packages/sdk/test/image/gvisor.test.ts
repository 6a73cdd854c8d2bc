/**
 * The done criterion at SDK level: an image pulled from a loopback registry runs
 * `/bin/echo hi` on this host's engine (gVisor, `runsc --platform=ptrace`).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { ImageConfig, ImageStore } from "@krunbox/image"
import { MicroVm } from "../../src/index.js"
import { buildLayout, busyboxAmd64, fakeArm64, isRoot, makeTempDir, prerequisite, pushLayout, registrySkipReason, removeDir, type RunningRegistry, snapshotTree, startRegistry } from "@krunbox/testing"

const runscMissing = (() => {
  try {
    execFileSync("runsc", ["--version"], { stdio: "ignore" })
    return undefined
  } catch {
    return "runsc (Debian package runsc) is not installed"
  }
})()
const skipReason = registrySkipReason() ?? runscMissing ?? (isRoot ? undefined : "the gvisor engine runs bundles as root here")
const needs = prerequisite(skipReason)

describe.skipIf(needs.skip)(needs.title("images on the gvisor engine"), () => {
  beforeAll(needs.check)
  let work: string
  let cacheDir: string
  let registry: RunningRegistry
  let store: ImageStore
  let reference: string

  beforeAll(async () => {
    work = makeTempDir("gvisor")
    cacheDir = makeTempDir("gvisor-cache")
    registry = await startRegistry(path.join(work, "registry"))
    try {
      const layout = buildLayout(path.join(work, "layout"), "latest", [busyboxAmd64(), fakeArm64()])
      reference = `${registry.host}/busybox:latest`
      await pushLayout(layout.dir, "latest", reference)
      store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
      await store.pull(reference)
    } catch (error) {
      await registry.stop()
      throw error
    }
  })
  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
    removeDir(cacheDir)
  })

  for (const strategy of ["overlay", "copy"] as const) {
    it(`runs /bin/echo hi in a ${strategy} rootfs prepared from the pulled image`, async () => {
      await using run = await store.prepareRootfs(reference, { strategy, pull: "never" })
      const vm = MicroVm.builder().rootfs(run.rootfsDir).engine("gvisor").execPath("/bin/echo").args(["hi"]).build()
      const result = await vm.run({ timeoutMs: 60_000 })
      expect(result).toMatchObject({ engine: "gvisor", status: 0, stdout: "hi\n" })
    })
  }

  it("applies the image's Env and WorkingDir and keeps the guest's writes out of the cache", async () => {
    const image = store.find(reference)!
    const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
    const before = snapshotTree(base)
    await using run = await store.prepareRootfs(reference, { pull: "never" })
    const argv = ImageConfig.command(run.config, { args: ["sh", "-c", "echo $GREETING from $(pwd); rm /bin/busybox-hardlink; echo x > /kept/stays.txt"] })
    const env = ImageConfig.envPairs(run.config)
    const exec = ImageConfig.findExecutable(run.rootfsDir, argv[0]!, env)!
    expect(exec).toBe("/bin/sh")
    const vm = MicroVm.builder()
      .rootfs(run.rootfsDir)
      .engine("gvisor")
      .execPath(exec)
      .args(argv.slice(1))
      .env(env)
      .workdirPath(run.config.workingDir!)
      .build()
    const result = await vm.run({ timeoutMs: 60_000 })
    expect(result).toMatchObject({ status: 0, stdout: "hello from /home/app\n" })
    expect(snapshotTree(base)).toEqual(before)
  })
})
