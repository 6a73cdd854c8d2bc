/**
 * The gVisor engine against the real runsc: every behaviour the issue lists, through the public
 * MicroVm API.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConsoleOutputUnwritable, EngineCrashed, EngineUnavailable, MicroVm, type MicroVmBuilder, Rootfs, UnsupportedOption } from "../src/index.js"
import type { EngineSession } from "../src/engine/Engine.js"
import { gvisorEngine, gvisorNotices, hostTasksBackstop, ociSpec, sandboxRlimits } from "../src/engine/gvisor.js"
import type { LimitNotEnforced, Notice } from "../src/Notice.js"
import { VmProcessImpl } from "../src/VmProcess.js"
import { which } from "../src/internal/which.js"
import { ownCgroups, openFds, ownTempDirs, ownVmProcesses } from "./helpers/leaks.js"
import { prerequisite } from "@krunbox/testing"
import { untilExited } from "./helpers/process.js"
import { hasBusybox, makeBusyboxRootfs } from "./helpers/rootfs.js"

const hasRunsc = which("runsc") !== undefined
const skipReason = !hasRunsc ? "runsc is not installed (apt-get install runsc)" : !hasBusybox ? "busybox-static is not installed" : ""
const needs = prerequisite(skipReason)
const asRoot = prerequisite(process.getuid?.() === 0 ? "" : "needs root (overlayfs mounts)")

describe.skipIf(needs.skip)(needs.title("gvisor engine"), () => {
  let fixture: { readonly dir: string; readonly rootfs: string }
  const vm = (): MicroVmBuilder => MicroVm.builder().rootfs(fixture.rootfs).engine("gvisor")
  const sh = (script: string): MicroVmBuilder => vm().execPath("/bin/sh").args(["-c", script])

  beforeAll(() => {
    needs.check()
    fixture = makeBusyboxRootfs()
  })
  afterAll(() => {
    rmSync(fixture.dir, { recursive: true, force: true })
  })

  describe("exit status", () => {
    it.each([0, 1, 3])("reports the workload's status %i", async (status) => {
      const result = await sh(`exit ${status}`).build().run()
      expect(result).toMatchObject({ status, signal: null, timedOut: false, engine: "gvisor" })
    })

    it("reports 127 when the program does not exist, like the guest init", async () => {
      const result = await vm().execPath("/no/such/program").build().run()
      expect(result.status).toBe(127)
    })

    it("reports 126 when the program cannot be executed, like the guest init", async () => {
      const result = await vm().execPath("/etc").build().run()
      expect(result.status).toBe(126)
    })

    it("reports 128+n when the workload dies by signal n", async () => {
      expect((await sh("kill -KILL $$").build().run()).status).toBe(137)
      expect((await sh("kill -SEGV $$").build().run()).status).toBe(139)
    })

    it("start() returns the status with the output on our own streams", async () => {
      expect(await sh("exit 3").build().start()).toBe(3)
    })
  })

  describe("streams and workload settings", () => {
    it("keeps stdout and stderr apart", async () => {
      const result = await sh("echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2").build().run()
      expect(result.stdout).toBe("out-1\nout-2\n")
      expect(result.stderr).toBe("err-1\nerr-2\n")
    })

    it("streams piped output while the VM runs", async () => {
      const child = sh("echo first; sleep 30").build().spawn()
      const first = await new Promise<string>((resolve) => child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString())))
      expect(first).toBe("first\n")
      child.kill()
      expect((await child.exited).signal).toBe("SIGKILL")
    })

    it("passes env, with a default PATH", async () => {
      const result = await sh("echo $GREETING\\|$EMPTY\\|$PATH").env(["GREETING=hi there", "EMPTY="]).build().run()
      expect(result.stdout).toBe("hi there||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
    })

    it("runs in the workdir", async () => {
      const result = await sh("pwd").workdirPath("/tmp").build().run()
      expect(result.stdout).toBe("/tmp\n")
    })

    it("applies rlimits (ulimit -n shows RLIMIT_NOFILE)", async () => {
      const result = await sh("ulimit -n; ulimit -Hn").rlimits(["RLIMIT_NOFILE=123:456"]).build().run()
      expect(result.stdout).toBe("123\n456\n")
    })

    it("gives the guest ramMib of memory", async () => {
      const result = await sh("head -1 /proc/meminfo").ramMib(300).build().run()
      expect(result.stdout).toMatch(/^MemTotal:\s+307200 kB\n$/)
    })

    it("makes a file written to a mapped dir visible on the host", async () => {
      const shared = join(fixture.dir, "shared")
      mkdirSync(shared, { recursive: true })
      writeFileSync(join(shared, "from-host.txt"), "host says hi")
      const result = await sh("cat /work/from-host.txt; echo guest was here > /work/from-guest.txt")
        .mappedDirs([`${shared}:/work`])
        .build()
        .run()
      expect(result).toMatchObject({ status: 0, stdout: "host says hi" })
      expect(readFileSync(join(shared, "from-guest.txt"), "utf8")).toBe("guest was here\n")
    })

    it("a dir mapped :ro is readable but the workload cannot write through it; :rw can", async () => {
      const shared = join(fixture.dir, "read-only")
      mkdirSync(shared, { recursive: true })
      writeFileSync(join(shared, "given.txt"), "from the host\n")
      const writable = join(fixture.dir, "writable")
      mkdirSync(writable, { recursive: true })
      const result = await sh("cat /ro/given.txt; echo x > /ro/new.txt && echo WROTE; rm -f /ro/given.txt && echo REMOVED; echo y > /rw/new.txt")
        .mappedDirs([`${shared}:/ro:ro`, `${writable}:/rw:rw`])
        .build()
        .run()
      expect(result.stdout).toBe("from the host\n")
      expect(result.stderr).toMatch(/read-only/i)
      expect(existsSync(join(shared, "new.txt"))).toBe(false)
      expect(readFileSync(join(shared, "given.txt"), "utf8")).toBe("from the host\n")
      expect(readFileSync(join(writable, "new.txt"), "utf8")).toBe("y\n")
    })

    it("writes the console to consoleOutput instead of the streams", async () => {
      const file = join(fixture.dir, "console.log")
      const result = await sh("echo to-console; echo err-console >&2").consoleOutput(file).build().run()
      expect(result).toMatchObject({ status: 0, stdout: "", stderr: "" })
      expect(readFileSync(file, "utf8")).toBe("to-console\nerr-console\n")
    })

    it("a console output file that cannot be created when the run starts is ConsoleOutputUnwritable, not Node's raw error", async () => {
      const folder = join(fixture.dir, "console-folder")
      mkdirSync(folder, { recursive: true })
      const vm = sh("true").consoleOutput(join(folder, "console.log")).build()
      rmSync(folder, { recursive: true })
      const error = await vm.run().catch((e: unknown) => e)
      expect(ConsoleOutputUnwritable.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ _tag: "ConsoleOutputUnwritable", engine: "gvisor", path: join(folder, "console.log"), code: "ENOENT" })
      expect((error as ConsoleOutputUnwritable).hint).toContain("mkdir -p")
      expect(ownTempDirs()).toEqual([])
    })

    it("caps run() output and says so", async () => {
      const result = await sh("head -c 100000 /dev/zero").build().run({ maxBufferBytes: 1000 })
      expect(result.stdout.length).toBe(1000)
      expect(result.truncated).toBe(true)
    })
  })

  describe("network scope", () => {
    let server: ReturnType<typeof createServer>
    let port: number
    const received: Array<string> = []
    beforeAll(async () => {
      server = createServer((socket) => {
        socket.setEncoding("utf8")
        socket.on("data", (chunk: string) => received.push(chunk))
        socket.end("pong\n")
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it("scope none (the default) has no network: only loopback, and the host is unreachable", async () => {
      const result = await sh(`cat /proc/net/dev; echo ping-none | nc -w 2 127.0.0.1 ${port}; echo nc=$?`).build().run()
      const interfaces = result.stdout.split("\n").filter((line) => /^\s*\w+:/.test(line)).map((line) => line.trim().split(":")[0])
      expect(interfaces).toEqual(["lo"])
      expect(result.stdout).not.toContain("pong")
      expect(result.stdout).toMatch(/nc=[1-9]/)
      expect(received.join("")).not.toContain("ping-none")
    })

    it("scope any reaches the host", async () => {
      const result = await sh(`echo ping-any | nc -w 2 127.0.0.1 ${port}`).scope("any").build().run()
      expect(result).toMatchObject({ status: 0, stdout: "pong\n" })
      expect(received.join("")).toContain("ping-any")
    })

    it.each(["group", "public"] as const)("refuses scope %s with a typed error naming the option", async (scope) => {
      const error = await sh("true").scope(scope).build().run().catch((e: unknown) => e)
      expect(UnsupportedOption.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ _tag: "UnsupportedOption", engine: "gvisor", option: "scope", value: scope })
    })

    it("refuses a port map it cannot honour", async () => {
      const error = await sh("true").scope("any").portMap(["8080:80"]).build().run().catch((e: unknown) => e)
      expect(error).toMatchObject({ _tag: "UnsupportedOption", option: "portMap", value: "8080:80" })
    })
  })

  describe("timeout, abort and kill", () => {
    it("timeoutMs kills the VM and reports timedOut", async () => {
      const result = await sh("sleep 60").build().run({ timeoutMs: 500 })
      expect(result).toMatchObject({ status: null, signal: "SIGKILL", timedOut: true })
    })

    it("an AbortSignal kills the VM", async () => {
      const controller = new AbortController()
      const child = sh("sleep 60").build().spawn({ signal: controller.signal })
      setTimeout(() => controller.abort(), 300)
      expect(await child.exited).toMatchObject({ status: null, signal: "SIGKILL", timedOut: false })
    })

    it("an already aborted signal never lets the workload run", async () => {
      const marker = join(fixture.dir, "aborted-marker")
      const child = sh(`touch /work/${"aborted-marker"}`).mappedDirs([`${fixture.dir}:/work`]).build().spawn({ signal: AbortSignal.abort() })
      expect((await child.exited).signal).toBe("SIGKILL")
      expect(existsSync(marker)).toBe(false)
    })

    it("kill() ends the VM; asyncDispose waits for it", async () => {
      const child = sh("sleep 60").build().spawn()
      await new Promise((resolve) => setTimeout(resolve, 200))
      await child[Symbol.asyncDispose]()
      expect(await child.exited).toMatchObject({ status: null, signal: "SIGKILL" })
    })

    it("a kill after the workload exited, while the engine cleans up, leaves the workload's status", async () => {
      const config = sh("exit 3").build().config
      let session: EngineSession | undefined
      const child = new VmProcessImpl(async () => {
        session = await gvisorEngine().launch(config, { explicit: new Set(["rootfs"]) })
        return session
      }, { stdout: "ignore", stderr: "ignore" })
      while (session === undefined) await new Promise((resolve) => setTimeout(resolve, 5))
      await untilExited(session.pid!)
      child.kill()
      expect(await child.exited).toMatchObject({ status: 3, signal: null, timedOut: false })
    })

    it("runsc killed by a signal krunbox did not send is EngineCrashed, not a kill", async () => {
      const session = await gvisorEngine().launch(sh("sleep 60").build().config, { explicit: new Set(["rootfs"]) })
      session.stdout.resume()
      session.stderr.resume()
      await new Promise<void>((resolve) => session.onReady(resolve))
      process.kill(session.pid!, "SIGKILL")
      const end = await session.ended
      expect(end).toMatchObject({ _tag: "Failed", error: { _tag: "EngineCrashed", engine: "gvisor", signal: "SIGKILL", exitCode: null } })
      expect(EngineCrashed.isInstance((end as Extract<typeof end, { _tag: "Failed" }>).error)).toBe(true)
      expect(ownVmProcesses()).toEqual([])
      expect(ownTempDirs()).toEqual([])
    })

    it("reports readiness once the container started", async () => {
      const result = await sh("true").build().run()
      expect(result.timings.readyMs).not.toBeNull()
      expect(result.timings.readyMs!).toBeLessThanOrEqual(result.timings.totalMs)
    })
  })

  describe("limits rootless runsc cannot enforce", () => {
    it("are typed notices (LimitNotEnforced), never left silent: the default 1024 MiB and the vCPU count", () => {
      const config = sh("true").build().config
      const notices = gvisorNotices(config, new Set(), false)
      expect(notices.map((notice) => [notice._tag, (notice as LimitNotEnforced).option, (notice as LimitNotEnforced).value])).toEqual([
        ["LimitNotEnforced", "memoryMib", 1024],
        ["LimitNotEnforced", "numVcpus", 1]
      ])
      expect(notices[0]!.message).toContain("rootless gvisor cannot enforce the memory limit (1024 MiB)")
      expect(notices[0]!.message).toContain("run krunbox as root")
      // as root runsc puts the sandbox in cgroups: nothing to say
      expect(gvisorNotices(config, new Set(), true)).toEqual([])
    })

    it("the engine hands them to onNotice when it launches", async () => {
      const seen: Array<Notice> = []
      const session = await gvisorEngine().launch(sh("exit 0").build().config, { explicit: new Set(["rootfs"]), onNotice: (notice) => seen.push(notice) })
      session.stdout.resume()
      session.stderr.resume()
      expect(await session.ended).toEqual({ _tag: "Exited", status: 0 })
      // this suite runs as root where runsc has cgroups; as another user it must have said so
      expect(seen).toEqual(gvisorNotices(sh("exit 0").build().config, new Set(["rootfs"])))
    })
  })

  describe("process limit", () => {
    // A real fork bomb (each process forks two more), capped at depth 11 (2,047 processes) so that
    // even a sandbox without any limit cannot take the shared host down, and stopped by timeoutMs.
    // The shell counts /proc with a glob (no fork) once the bomb has had 3 s to saturate.
    const bomb = "sleep 3 & s=$!; (b(){ if [ $1 -gt 0 ]; then b $(($1-1)) & b $(($1-1)) & fi; sleep 6; }; b 11) 2>/dev/null & wait $s; set -- /proc/[0-9]*; echo procs=$#"

    it("a fork bomb under pidsLimit(64) stays within it, and the sandbox survives it", async () => {
      let hostTasks = 0
      const cgroups = () => ownCgroups().filter((dir) => dir.includes("/pids/"))
      const sampler = setInterval(() => {
        for (const dir of cgroups()) {
          try {
            hostTasks = Math.max(hostTasks, Number(readFileSync(join(dir, "pids.current"), "utf8")))
          } catch {
            // gone meanwhile
          }
        }
      }, 50)
      const result = await sh(bomb).pidsLimit(64).build().run({ timeoutMs: 60_000 }).finally(() => clearInterval(sampler))
      expect(result).toMatchObject({ status: 0, signal: null, timedOut: false })
      const procs = Number(/procs=(\d+)/.exec(result.stdout)?.[1])
      expect(procs).toBeGreaterThan(16)
      expect(procs).toBeLessThanOrEqual(64)
      // as root the host cgroup is a backstop far above this: the sentry's limit held first
      if (process.getuid?.() === 0) expect(hostTasks).toBeLessThan(hostTasksBackstop(64))
    })

    it("every sandbox gets RLIMIT_NPROC = pidsLimit (default 512), and a lower NPROC of the user's stays", () => {
      const base = sh("true")
      const nproc = (config: ReturnType<MicroVmBuilder["build"]>["config"]) => sandboxRlimits(config).filter((limit) => limit.type === "RLIMIT_NPROC")
      expect(nproc(base.build().config)).toEqual([{ type: "RLIMIT_NPROC", soft: 512n, hard: 512n }])
      expect(nproc(base.pidsLimit(100).rlimits(["nproc=10:1000"]).build().config)).toEqual([{ type: "RLIMIT_NPROC", soft: 10n, hard: 100n }])
      expect(ociSpec(base.pidsLimit(100).build().config, "/r", "/krunbox/x")).toMatchObject({ linux: { resources: { pids: { limit: hostTasksBackstop(100) } } } })
    })
  })

  describe("many VMs", () => {
    it("runs 8 VMs at once, each with its own status and output", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) => sh(`echo vm-${index}; exit ${index + 10}`).build().run())
      )
      results.forEach((result, index) => {
        expect(result).toMatchObject({ status: index + 10, stdout: `vm-${index}\n` })
      })
      expect(ownVmProcesses()).toEqual([])
      expect(ownTempDirs()).toEqual([])
    })

    it("200 start/kill cycles leave no processes, temp dirs, cgroups or fds behind", async () => {
      const built = sh("sleep 60").build()
      const cycle = async () => {
        const child = built.spawn({ stdout: "ignore", stderr: "ignore" })
        // kill as soon as the container exists (the pid file), half of them even earlier
        await new Promise((resolve) => setTimeout(resolve, Math.random() < 0.5 ? 0 : 60))
        child.kill()
        const info = await child.exited
        expect(info.signal).toBe("SIGKILL")
      }
      await cycle() // warm-up: lazily created fds (e.g. the stderr stream of this worker) count as baseline
      const fdsBefore = openFds()
      const parallel = 4
      for (let done = 0; done < 200; done += parallel) await Promise.all(Array.from({ length: parallel }, cycle))
      expect(ownVmProcesses()).toEqual([])
      expect(ownTempDirs()).toEqual([])
      expect(ownCgroups()).toEqual([])
      // a leak is an fd the cycles opened and left open; fds that other work closed meanwhile are not.
      // Checked right when the last `exited` resolved: the VM's sockets must be closed by then.
      expect(openFds().filter((fd) => !fdsBefore.includes(fd))).toEqual([])
    }, 240_000)
  })

  describe("overlayfs rootfs", () => {
    it.skipIf(asRoot.skip)(asRoot.title("writes go to the upper layer; the lower layer stays untouched"), async () => {
      asRoot.check()
      const upper = join(fixture.dir, "upper")
      rmSync(upper, { recursive: true, force: true })
      mkdirSync(upper)
      const lowerMarker = join(fixture.rootfs, "tmp", "lower-only")
      writeFileSync(lowerMarker, "lower")
      const result = await MicroVm.builder()
        .rootfs(Rootfs.overlayfs([fixture.rootfs, upper]))
        .engine("gvisor")
        .execPath("/bin/sh")
        .args(["-c", "cat /tmp/lower-only; echo changed > /tmp/lower-only; echo new > /tmp/new-file"])
        .build()
        .run()
      expect(result).toMatchObject({ status: 0, stdout: "lower" })
      expect(readFileSync(lowerMarker, "utf8")).toBe("lower")
      expect(existsSync(join(fixture.rootfs, "tmp", "new-file"))).toBe(false)
      expect(readFileSync(join(upper, "tmp", "new-file"), "utf8")).toBe("new\n")
      expect(readFileSync(join(upper, "tmp", "lower-only"), "utf8")).toBe("changed\n")
      expect(ownTempDirs()).toEqual([])
    })
  })

  describe("errors", () => {
    it("a runsc that is not there is a typed error, not a silent fallback", async () => {
      const error = await gvisorEngine({ runscPath: "/nonexistent/runsc" })
        .launch(sh("true").build().config, { explicit: new Set() })
        .catch((e: unknown) => e)
      expect(EngineUnavailable.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ _tag: "EngineUnavailable", engine: "gvisor" })
      expect((error as Error).message).toContain("/nonexistent/runsc")
      expect(ownTempDirs()).toEqual([])
    })
  })
})
