import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

const krunbox = (args: ReadonlyArray<string>, timeout = 120_000) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", input: "", timeout })

let scratch = ""

beforeAll(() => {
  // the native runtime (default rootfs, runsc) is set up once; later runs only verify it
  const setup = krunbox(["setup"], 20 * 60_000)
  if (setup.status !== 0) throw new Error(`krunbox setup failed:\n${setup.stderr}`)
  scratch = mkdtempSync(join(tmpdir(), "krunbox-cli-test-"))
}, 20 * 60_000)

afterAll(() => {
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true })
})

describe("krunbox run", () => {
  it.each([0, 1, 3, 42])("exits with the guest's status %d", (status) => {
    const result = krunbox(["run", "--", "/bin/sh", "-c", `exit ${status}`])
    expect(result.stderr).not.toMatch(/krunbox: .*\[/)
    expect(result.status).toBe(status)
  })

  it("exits 127 when the command does not exist in the guest", () => {
    expect(krunbox(["run", "--", "/no/such/program"]).status).toBe(127)
  })

  it("passes output, env, workdir and workload flags through", () => {
    // single quotes only: libkrun carries args on the guest kernel command line, which has no room for "
    const result = krunbox(["run", "-e", "GREETING=hi", "-w", "/tmp", "sh", "-c", "echo $GREETING from $(pwd); echo oops >&2"])
    expect(result.status).toBe(0)
    expect(result.stdout).toBe("hi from /tmp\n")
    expect(result.stderr).toContain("oops\n")
  })

  it("reads --env-file", () => {
    const file = join(scratch, "vars.env")
    writeFileSync(file, "# comment\nA=1\n\nB=two words\n")
    const result = krunbox(["run", "--env-file", file, "--", "sh", "-c", "echo $A/$B"])
    expect(result.stdout).toBe("1/two words\n")
  })

  it("writes into a shared host folder", () => {
    const shared = join(scratch, "shared")
    spawnSync("mkdir", ["-p", shared])
    const result = krunbox(["run", "-v", `${shared}:/out`, "--", "sh", "-c", "echo result > /out/file"])
    expect(result.status).toBe(0)
    expect(readFileSync(join(shared, "file"), "utf8")).toBe("result\n")
  })

  it("-v HOST:GUEST:ro shares a folder the workload can read but not write", () => {
    const shared = join(scratch, "read-only")
    spawnSync("mkdir", ["-p", shared])
    writeFileSync(join(shared, "given"), "host data\n")
    const result = krunbox(["run", "-v", `${shared}:/in:ro`, "--", "sh", "-c", "cat /in/given; echo x > /in/new || exit 9"])
    expect(result.stdout).toBe("host data\n")
    expect(result.status).toBe(9)
    expect(existsSync(join(shared, "new"))).toBe(false)
  })

  it("streams output live, before the workload ends", async () => {
    const child = spawn(process.execPath, [bin, "run", "--", "sh", "-c", "echo first; sleep 3; echo second"], { stdio: ["ignore", "pipe", "pipe"] })
    const firstLine = await new Promise<number>((resolve) => {
      child.stdout.once("data", () => resolve(Date.now()))
    })
    const exit = await new Promise<number>((resolve) => child.on("exit", () => resolve(Date.now())))
    // the first line arrived while the workload was still sleeping
    expect(exit - firstLine).toBeGreaterThan(1000)
  })

  it("prints one JSON record with --json", () => {
    const result = krunbox(["run", "--json", "--", "sh", "-c", "echo out; echo err >&2; exit 3"])
    expect(result.status).toBe(3)
    const record = JSON.parse(result.stdout)
    expect(record).toMatchObject({ status: 3, signal: null, timedOut: false, stdout: "out\n", stderr: "err\n" })
    expect(["libkrun", "gvisor"]).toContain(record.engine)
    expect(typeof record.timings.totalMs).toBe("number")
  })

  it("stops a workload at --timeout and exits 124", () => {
    const result = krunbox(["run", "--timeout", "1s", "--json", "--", "sleep", "30"])
    expect(result.status).toBe(124)
    expect(JSON.parse(result.stdout)).toMatchObject({ timedOut: true })
  })

  it("runs to its end under a --timeout longer than Node's 24.8-day timer limit", () => {
    const result = krunbox(["run", "--timeout", "597h", "--json", "--", "sh", "-c", "sleep 1; echo done"])
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 0, signal: null, timedOut: false, stdout: "done\n" })
    expect(result.status).toBe(0)
  })

  it.each([
    [["run", "--timeout", "8761h", "--", "true"], /--timeout is longer than 365 days: "8761h"/],
    [["run", "--cpus", "two", "--", "true"], /--cpus must be a whole number: "two"/],
    [["run", "--net", "internet", "--", "true"], /invalid value for --net: "internet"/],
    [["run", "--memory", "0", "--", "true"], /MemoryIsZero/],
    [["run", "-v", "/definitely/not/here:/x", "--", "true"], /\/definitely\/not\/here/],
    [["run", "-e", "1BAD=x", "--", "true"], /1BAD/],
    [["run", "--pids-limit", "many", "--", "true"], /--pids-limit must be a whole number: "many"/],
    [["run", "--pids-limit", "0", "--", "true"], /pidsLimit must be a whole number from 1 to 4194304, got 0.*\[InvalidNumber\]/],
    [["run", "-v", "/tmp:/data:readonly", "--", "true"], /invalid mount mode "readonly".*\[InvalidMountMode\]/],
    [["run", "-v", "/tmp:/", "--", "true"], /cannot be mapped over the guest's root.*\[GuestPathIsRoot\]/],
    [["run", "-e", "KRUNBOX_MOUNTS=krunbox0:/etc", "--", "true"], /reserved: env\[0\]\.key = "KRUNBOX_MOUNTS".*\[ReservedEnvKey\]/],
    [["run", "--rlimit", "RLIMIT_BOGUS=1:2", "--", "true"], /RLIMIT_BOGUS/],
    [["run"], /no command to run/],
    [["frobnicate"], /unknown command: "frobnicate"/]
  ])("%j exits 125 with one helpful line", (args, message) => {
    const result = krunbox(args)
    expect(result.status).toBe(125)
    expect(result.stderr).toMatch(message)
  })

  it.each([
    ["a directory", () => scratch, /ConsoleOutputIsADirectory/],
    ["a file in a missing folder", () => join(scratch, "no-such-folder", "console.log"), /ConsoleOutputFolderMissing/]
  ])("--console-output naming %s exits 125 with krunbox's typed error, not Node's", (_what, path, tag) => {
    const result = krunbox(["run", "--console-output", path(), "--", "true"])
    expect(result.status).toBe(125)
    expect(result.stderr).toMatch(tag)
    expect(result.stderr).toContain(JSON.stringify(path()))
    expect(result.stderr).not.toMatch(/EISDIR|ENOENT/)
  })

  it("reports a bad flag as JSON with --json", () => {
    const result = krunbox(["run", "--json", "--memory", "0", "--", "true"])
    expect(result.status).toBe(125)
    expect(JSON.parse(result.stdout).error.problems[0]._tag).toBe("MemoryIsZero")
  })

  it("stops the VM on SIGINT and leaves no process behind", async () => {
    const child = spawn(process.execPath, [bin, "run", "--", "sh", "-c", "echo started; exec sleep 300"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    const descendants = descendantPids(child.pid!)
    expect(descendants.length).toBeGreaterThan(0)
    child.kill("SIGINT")
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
    expect(code).toBe(130)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(descendants.filter(isAlive)).toEqual([])
  })
})

describe("krunbox help, version and completion", () => {
  it.each(["run", "setup", "doctor", "version", "completion"])("%s --help teaches with examples", (command) => {
    const result = krunbox([command, "--help"])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain(`Usage: krunbox ${command}`)
    expect(result.stdout).toContain("Examples:")
  })

  it("version names krunbox, libkrun and libkrunfw", () => {
    const result = krunbox(["version", "--json"])
    expect(JSON.parse(result.stdout)).toMatchObject({ krunbox: expect.any(String), libkrun: expect.any(String), libkrunfw: expect.any(String) })
  })

  it.each(["bash", "zsh", "fish"])("completion %s prints a script naming every command", (shell) => {
    const result = krunbox(["completion", shell])
    expect(result.status).toBe(0)
    for (const command of ["run", "setup", "doctor", "version"]) expect(result.stdout).toContain(command)
  })

  it("the bash completion script is valid bash", () => {
    const script = krunbox(["completion", "bash"]).stdout
    expect(spawnSync("bash", ["-n"], { input: script }).status).toBe(0)
  })
})

const descendantPids = (root: number): Array<number> => {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout
  const children = new Map<number, Array<number>>()
  for (const line of ps.trim().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number)
    children.set(ppid!, [...(children.get(ppid!) ?? []), pid!])
  }
  const found: Array<number> = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")
  } catch {
    return false
  }
}
