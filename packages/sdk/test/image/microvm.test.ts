/**
 * `MicroVm.builder().rootfs(Rootfs.image(...))` end to end: images pushed to a real registry on
 * loopback, pulled at spawn time into a temporary store, run on the gvisor engine (`runsc
 * --platform=ptrace`, which runs here), and on the libkrun engine up to `krun_start_enter` (its
 * microVMs cannot boot on this PVM host). Every test ends with no run directory, mount, VM temp
 * dir or engine process left.
 */
import { ConfigError, Rootfs } from "@krunbox/core"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { libkrunEngine } from "../../src/engine/libkrun.js"
import { locateLibrary } from "../../src/engine/libraries.js"
import { ImageStore, type PullEvent } from "@krunbox/image"
import { launchImageSession } from "../../src/internal/imageRun.js"
import type { RunnerCall, RunnerMessage } from "../../src/internal/runnerProtocol.js"
import { ImageHasNoCommand, MicroVm, type Notice } from "../../src/index.js"
import { ownTempDirs, ownVmProcesses } from "../helpers/leaks.js"
import { bigImage, buildLayout, busyboxAmd64, fakeArm64, type ImageSpec, isRoot, makeTempDir, mountPointsUnder, prerequisite, pushLayout, registrySkipReason, removeDir, runnableBusybox, type RunningRegistry, startRegistry } from "@krunbox/testing"

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
const libkrunSkip = !fs.existsSync(path.resolve(import.meta.dirname, "..", "..", "dist", "runner.js"))
  ? "dist/runner.js is missing: build @krunbox/sdk first"
  : locateLibrary("libkrun") === undefined || locateLibrary("libkrunfw") === undefined
  ? "libkrun/libkrunfw not found: run `krunbox setup`"
  : undefined
const libkrun = prerequisite(libkrunSkip)

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected a rejection")
}

describe.skipIf(needs.skip)(needs.title("MicroVm with an image rootfs"), () => {
  beforeAll(needs.check)
  let work: string
  let cacheDir: string
  let registry: RunningRegistry
  let store: ImageStore
  const ref = (name: string) => `${registry.host}/${name}`

  const images: Record<string, ReadonlyArray<ImageSpec>> = {
    "busybox:latest": [busyboxAmd64(), fakeArm64()],
    "app:1": [runnableBusybox({
      Env: ["PATH=/bin", "GREETING=hello", "ONLY_IMAGE=kept"],
      WorkingDir: "/srv/app/work",
      Cmd: ["sh", "-c", "echo $GREETING $ONLY_IMAGE from $(pwd)"]
    })],
    "entry:1": [runnableBusybox({ Entrypoint: ["/bin/echo", "entry"], Cmd: ["default"] })],
    "bare:1": [runnableBusybox({})],
    "user:1": [runnableBusybox({ User: "app", Cmd: ["id", "-u"] })],
    "quoted:1": [runnableBusybox({ Env: ["QUOTED=say \"hi\""], Cmd: ["true"] })],
    "big:1": [bigImage(24)]
  }

  beforeAll(async () => {
    work = makeTempDir("microvm")
    cacheDir = makeTempDir("microvm-cache")
    registry = await startRegistry(path.join(work, "registry"))
    try {
      await Promise.all(Object.entries(images).map(async ([name, specs], index) => {
        const [repository, tag] = name.split(":") as [string, string]
        const layout = buildLayout(path.join(work, `layout-${index}`), tag, specs)
        await pushLayout(layout.dir, tag, ref(`${repository}:${tag}`))
      }))
      store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
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

  afterEach(() => {
    const runsDir = path.join(store.root, "runs")
    expect(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []).toEqual([])
    expect(mountPointsUnder(store.root)).toEqual([])
    expect(ownTempDirs()).toEqual([])
    expect(ownVmProcesses()).toEqual([])
  })

  const builder = () => MicroVm.builder().engine("gvisor").imageOptions({ store })

  it("pulls the image on first use and runs /bin/echo hi in it (the issue's done criterion)", async () => {
    expect(store.find(ref("busybox:latest"))).toBeUndefined()
    const vm = MicroVm.builder()
      .rootfs(Rootfs.image(ref("busybox:latest")))
      .imageOptions({ store })
      .engine("gvisor")
      .execPath("/bin/echo")
      .args(["hi"])
      .build()
    expect(vm.image).toEqual({ _tag: "Image", reference: ref("busybox:latest") })
    const result = await vm.run({ timeoutMs: 60_000 })
    expect(result).toMatchObject({ engine: "gvisor", status: 0, stdout: "hi\n" })
    expect(store.find(ref("busybox:latest"))?.reference).toBe(ref("busybox:latest"))
  })

  it.each(["overlay", "copy"] as const)("gives each run a private %s rootfs: writes never reach the next run", async (strategy) => {
    const vm = builder().image(ref("bare:1"), { store, strategy }).execPath("/bin/sh")
    const first = await vm.args(["-c", "test ! -e /tmp/mark && echo x > /tmp/mark && echo wrote"]).build().run({ timeoutMs: 60_000 })
    expect(first).toMatchObject({ status: 0, stdout: "wrote\n" })
    const second = await vm.args(["-c", "test ! -e /tmp/mark && echo clean"]).build().run({ timeoutMs: 60_000 })
    expect(second).toMatchObject({ status: 0, stdout: "clean\n" })
  })

  it("runs the image's own command with its Env and WorkingDir (created when the image lacks it)", async () => {
    const result = await builder().image(ref("app:1")).build().run({ timeoutMs: 60_000 })
    expect(result).toMatchObject({ status: 0, stdout: "hello kept from /srv/app/work\n", stderr: "" })
  })

  it("lets env, workdirPath and args override the image like docker run does", async () => {
    const vm = builder()
      .image(ref("app:1"))
      .env(["GREETING=hi"])
      .workdirPath("/tmp")
      .args(["sh", "-c", "echo $GREETING $ONLY_IMAGE from $(pwd)"])
      .build()
    expect(await vm.run({ timeoutMs: 60_000 })).toMatchObject({ status: 0, stdout: "hi kept from /tmp\n" })
  })

  it("puts args after the Entrypoint in place of Cmd; execPath replaces both (--entrypoint)", async () => {
    const run = (b: ReturnType<typeof builder>) => b.build().run({ timeoutMs: 60_000 }).then((r) => r.stdout)
    expect(await run(builder().image(ref("entry:1")))).toBe("entry default\n")
    expect(await run(builder().image(ref("entry:1")).args(["x", "y"]))).toBe("entry x y\n")
    expect(await run(builder().image(ref("entry:1")).execPath("/bin/echo").args(["own"]))).toBe("own\n")
  })

  it("runs an image with a non-root User as root, saying so once per run as a notice, never on stderr", async () => {
    const written: Array<string> = []
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const notices: Array<Array<Notice>> = []
    try {
      for (let i = 0; i < 2; i++) {
        const received: Array<Notice> = []
        notices.push(received)
        expect(await builder().image(ref("user:1")).build().run({ timeoutMs: 60_000, onNotice: (notice) => received.push(notice) }))
          .toMatchObject({ status: 0, stdout: "0\n" })
      }
    } finally {
      spy.mockRestore()
    }
    const expected = {
      _tag: "ImageUserNotApplied",
      reference: ref("user:1"),
      user: "app",
      engine: "gvisor",
      message: `image ${ref("user:1")} sets User "app", but engine gvisor runs workloads as root (uid 0): running it as root`
    }
    expect(notices).toEqual([[expected], [expected]])
    expect(written.filter((line) => line.includes("sets User"))).toEqual([])
  })

  it("fails with ImageHasNoCommand when neither the image nor the builder names a program", async () => {
    const vm = builder().image(ref("bare:1")).build()
    const error = await rejection(vm.run())
    expect(ImageHasNoCommand.isInstance(error)).toBe(true)
    expect(error).toMatchObject({ _tag: "ImageHasNoCommand", reference: ref("bare:1") })
    expect((error as ImageHasNoCommand).hint).toContain(`krunbox run ${ref("bare:1")} -- /bin/sh`)
  })

  it("validates the configuration resolved from the image with core's rules", async () => {
    const error = await rejection(builder().image(ref("quoted:1")).build().run())
    expect(ConfigError.isInvalidMicroVmConfig(error)).toBe(true)
    expect((error as ConfigError.InvalidMicroVmConfig).problems.map((p) => p._tag)).toContain("QuoteInCommandLineString")
  })

  it("rejects an image the registry does not have with ImageNotFound, and pull \"never\" with ImageNotPulled", async () => {
    const missing = await rejection(builder().image(ref("nope:1")).execPath("/bin/true").build().run())
    expect(missing).toMatchObject({ _tag: "ImageNotFound" })
    const never = await rejection(
      builder().image(ref("never:1"), { store, pull: "never" }).execPath("/bin/true").build().run()
    )
    expect(never).toMatchObject({ _tag: "ImageNotPulled", reference: ref("never:1") })
  })

  it("stops a pull in progress on abort: the VM never starts and nothing is recorded", async () => {
    const controller = new AbortController()
    const events: Array<PullEvent["type"]> = []
    const vm = builder()
      .image(ref("big:1"), {
        store,
        onProgress: (event) => {
          events.push(event.type)
          if (event.type === "layer" && event.status === "downloading") controller.abort()
        }
      })
      .execPath("/bin/true")
      .build()
    const info = await vm.spawn({ signal: controller.signal }).exited
    expect(info).toMatchObject({ status: null, signal: "SIGKILL", engine: "gvisor" })
    expect(info.timings.readyMs).toBeNull()
    expect(events).toContain("resolved")
    expect(store.find(ref("big:1"))).toBeUndefined()
  })

  it("removes the run's rootfs when a running VM is killed", async () => {
    const vm = builder().image(ref("busybox:latest")).execPath("/bin/sh").args(["-c", "echo started; exec busybox sleep 300"]).build()
    const child = vm.spawn()
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()))
    expect(fs.readdirSync(path.join(store.root, "runs"))).toHaveLength(1)
    child.kill()
    expect(await child.exited).toMatchObject({ status: null, signal: "SIGKILL" })
  })

  it.skipIf(libkrun.skip)(
    libkrun.title("on the libkrun engine, hands the private rootfs and the image's command, env and workdir to the real libkrun up to krun_start_enter"),
    async () => {
      libkrun.check()
      const messages: Array<RunnerMessage> = []
      const engine = libkrunEngine({ stopBeforeEnter: true, onRunnerMessage: (message) => messages.push(message) })
      const vm = MicroVm.builder().image(ref("app:1")).env(["EXTRA=1"]).build()
      const session = launchImageSession(engine, vm.config, { reference: ref("app:1"), options: { store }, execPath: undefined, workdirPath: undefined }, vm.explicitOptions, () => {})
      session.stdout.resume()
      session.stderr.resume()
      expect(await session.ended).toEqual({ _tag: "Exited", status: 0 })
      const calls = messages.find((m) => m.type === "stopped")!.calls as ReadonlyArray<RunnerCall>
      const args = (fn: string) => calls.find((call) => call.fn === fn)!.args
      const root = args("krun_set_root")[1] as string
      expect(path.dirname(path.dirname(root))).toBe(path.join(store.root, "runs"))
      expect(fs.existsSync(root)).toBe(false)
      expect(args("krun_set_workdir")[1]).toBe("/srv/app/work")
      expect(args("krun_set_exec").slice(1)).toEqual([
        "sh",
        ["-c", "echo $GREETING $ONLY_IMAGE from $(pwd)"],
        ["PATH=/bin", "GREETING=hello", "ONLY_IMAGE=kept", "EXTRA=1"]
      ])
    }
  )

  it("stops at timeoutMs like any VM", async () => {
    const vm = builder().image(ref("busybox:latest")).execPath("/bin/busybox").args(["sleep", "300"]).build()
    expect(await vm.run({ timeoutMs: 1_500 })).toMatchObject({ status: null, signal: "SIGKILL", timedOut: true })
  })
})
