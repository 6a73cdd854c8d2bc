/**
 * The real, static krunbox-init, built from this package's sources with the flags setup uses, run
 * as PID 1 on the host: `unshare` gives it its own
 * PID, mount, UTS, network and IPC namespaces, so it mounts, sets the hostname, brings up lo,
 * applies rlimits and the workdir, runs the workload and reaps it exactly as in a guest. The
 * control channel is a unix socket (KRUNBOX_CONTROL_SOCKET) instead of vsock, and the final
 * reboot() ends the namespace instead of a VM.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { prerequisite } from "@krunbox/testing"
import { InitSources } from "../src/index.js"

const BUILD_TIMEOUT = 5 * 60_000
const isRoot = process.getuid?.() === 0
const unshare = ["/usr/bin/unshare", "/bin/unshare"].find((p) => fs.existsSync(p))
const hasGcc = spawnSync("gcc", ["--version"]).status === 0
const canRun = isRoot && unshare !== undefined && hasGcc && process.platform === "linux"

interface Run {
  readonly stdout: string
  readonly stderr: string
  readonly messages: ReadonlyArray<Record<string, unknown>>
}

let tmp = ""
let init = ""

const startControlServer = (socketPath: string) => {
  const lines: Array<string> = []
  let closed!: () => void
  const done = new Promise<void>((resolve) => (closed = resolve))
  const server = net.createServer((conn) => {
    let buffer = ""
    conn.setEncoding("utf8")
    conn.on("data", (chunk: string) => {
      buffer += chunk
      const parts = buffer.split("\n")
      buffer = parts.pop() ?? ""
      lines.push(...parts)
    })
    conn.on("close", () => closed())
  })
  server.listen(socketPath)
  return { lines, done, server }
}

/** Runs the init as PID 1 with `env` (the kernel's env) and `args` (argv after `--`). */
const runInit = async (
  env: Record<string, string>,
  args: ReadonlyArray<string>,
  whileRunning?: (initHostPid: () => number | undefined, messages: Array<string>) => Promise<void>
): Promise<Run> => {
  const socketPath = path.join(tmp, `control-${Math.random().toString(16).slice(2)}.sock`)
  const control = startControlServer(socketPath)
  await new Promise<void>((resolve) => control.server.once("listening", () => resolve()))
  const child = spawn(unshare!, ["--pid", "--fork", "--mount", "--uts", "--net", "--ipc", init, ...args], {
    env: { KRUNBOX_CONTROL_SOCKET: socketPath, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()))
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000)
  try {
    if (whileRunning !== undefined) {
      const initHostPid = () => {
        try {
          const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim()
          return children === "" ? undefined : Number(children.split(" ")[0])
        } catch {
          return undefined
        }
      }
      await whileRunning(initHostPid, control.lines)
    }
    await exited
    await Promise.race([control.done, new Promise((r) => setTimeout(r, 2_000))])
  } finally {
    clearTimeout(killer)
    control.server.close()
    fs.rmSync(socketPath, { force: true })
  }
  return { stdout, stderr, messages: control.lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

const exitMessage = (run: Run) => run.messages.find((m) => m["type"] === "exit")

const needs = prerequisite(canRun ? "" : "needs root, unshare and gcc with a static libc (apt-get install gcc libc6-dev util-linux)")

describe.skipIf(needs.skip)(needs.title("krunbox-init as PID 1 in fresh namespaces"), () => {
  beforeAll(() => {
    needs.check()
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-init-pid1-"))
    init = path.join(tmp, InitSources.binaryName)
    execFileSync("gcc", [...InitSources.cflags, "-o", init, ...InitSources.compileUnits], { cwd: InitSources.directory })
  }, BUILD_TIMEOUT)
  afterAll(() => {
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true })
  })

  it("sends ready first and exit last, with the workload's own status", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/sh" }, ["-c", "exit 7"])
    expect(run.messages.map((m) => m["type"])).toEqual(["ready", "exit"])
    expect(run.messages[0]).toMatchObject({ v: 1, type: "ready", agent: "krunbox-init/0.1.0" })
    expect(run.messages[0]!["uptime_ms"]).toBeTypeOf("number")
    expect(exitMessage(run)).toEqual({ v: 1, type: "exit", status: 7, signal: null })
  })

  it("applies hostname, workdir and rlimits, brings up lo, and hides control variables", async () => {
    const script = [
      'echo "host=$(hostname) cwd=$(pwd) nofile=$(ulimit -n):$(ulimit -Hn) pid=$$"',
      "cat /sys/class/net/lo/flags",
      "test -d /proc/1 && test -c /dev/null && test -d /dev/pts && test -d /dev/shm && echo mounts-ok",
      "env"
    ].join("; ")
    const run = await runInit(
      {
        KRUN_INIT: "sh",
        KRUN_WORKDIR: "/tmp",
        KRUN_RLIMITS: "7=123:456",
        HOSTNAME: "box1",
        FOO: "a b"
      },
      ["-c", script]
    )
    expect(exitMessage(run)).toMatchObject({ status: 0, signal: null })
    expect(run.stdout).toContain("host=box1 cwd=/tmp nofile=123:456 pid=2\n")
    expect(Number.parseInt(run.stdout.split("\n")[1]!, 16) & 0x1).toBe(1) // IFF_UP
    expect(run.stdout).toContain("mounts-ok\n")
    const env = run.stdout.split("\n").filter((l) => /^[A-Z_]+=/.test(l))
    expect(env).toContain("FOO=a b")
    expect(env).toContain("HOSTNAME=box1")
    expect(env).toContain("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    expect(env).toContain("HOME=/root")
    expect(env.filter((l) => l.startsWith("KRUN_") || l.startsWith("KRUNBOX_"))).toEqual([])
  })

  it("reports 128+n and the signal when the workload is killed by signal n", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/sh" }, ["-c", "kill -9 $$"])
    expect(exitMessage(run)).toEqual({ v: 1, type: "exit", status: 137, signal: 9 })
  })

  it("reports 127 and an exec error when the program does not exist", async () => {
    const run = await runInit({ KRUN_INIT: "no-such-program-krunbox" }, [])
    expect(run.messages.map((m) => m["type"])).toEqual(["ready", "error", "exit"])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "exec", errno: 2 })
    expect(run.messages[1]!["message"]).toContain("no-such-program-krunbox")
    expect(exitMessage(run)).toMatchObject({ status: 127, signal: null })
  })

  it("reports 126 when the program cannot be executed", async () => {
    const notExecutable = path.join(tmp, "not-executable")
    fs.writeFileSync(notExecutable, "#!/bin/sh\n", { mode: 0o644 })
    const run = await runInit({ KRUN_INIT: notExecutable }, [])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "exec", errno: 13 })
    expect(exitMessage(run)).toMatchObject({ status: 126 })
  })

  it("fails setup with 125 when the workdir does not exist", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/true", KRUN_WORKDIR: "/no/such/dir" }, [])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "workdir", errno: 2 })
    expect(exitMessage(run)).toMatchObject({ status: 125, signal: null })
  })

  it("fails setup with 125 on a malformed KRUN_RLIMITS", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/true", KRUN_RLIMITS: "7=10:5" }, [])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "rlimit", errno: 22 })
    expect(exitMessage(run)).toMatchObject({ status: 125 })
  })

  it("fails setup with 125 and stage mount when a mapped dir cannot be mounted (no virtiofs tag on the host)", async () => {
    const guestPath = path.join(tmp, "mapped", "work")
    const run = await runInit({ KRUN_INIT: "/bin/true", KRUNBOX_MOUNTS: `krunbox0:${guestPath}` }, [])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "mount" })
    expect(run.messages[1]!["message"]).toContain(`krunbox0 on ${guestPath}`)
    expect(fs.statSync(guestPath).isDirectory()).toBe(true) // mkdir -p happened first
    expect(exitMessage(run)).toMatchObject({ status: 125 })
  })

  it("fails setup with 125 on a malformed KRUNBOX_MOUNTS", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/true", KRUNBOX_MOUNTS: "krunbox0:relative" }, [])
    expect(run.messages[1]).toMatchObject({ type: "error", stage: "mount", errno: 22 })
    expect(exitMessage(run)).toMatchObject({ status: 125 })
  })

  it("forwards SIGTERM to the workload", async () => {
    const script = 'trap "echo got-term; exit 3" TERM; echo started; while :; do sleep 0.05; done'
    const run = await runInit({ KRUN_INIT: "/bin/sh" }, ["-c", script], async (initHostPid, messages) => {
      for (let i = 0; i < 200 && (initHostPid() === undefined || messages.length === 0); i++) {
        await new Promise((r) => setTimeout(r, 25))
      }
      await new Promise((r) => setTimeout(r, 300)) // let the trap be installed
      process.kill(initHostPid()!, "SIGTERM")
    })
    expect(run.stdout).toContain("got-term")
    expect(exitMessage(run)).toMatchObject({ status: 3, signal: null })
  })

  it("reaps orphaned grandchildren and still reports the workload's status", async () => {
    const run = await runInit({ KRUN_INIT: "/bin/sh" }, ["-c", "(sleep 0.1 &) ; sh -c 'exit 0' & wait; exit 4"])
    expect(exitMessage(run)).toMatchObject({ status: 4 })
  })

  it("refuses to run when it is not PID 1", () => {
    const result = spawnSync(init, [], { encoding: "utf8" })
    expect(result.status).toBe(125)
    expect(result.stderr).toContain("must run as PID 1")
    expect(spawnSync(init, ["--version"], { encoding: "utf8" }).stdout).toBe("krunbox-init/0.1.0 protocol 1\n")
  })
})
