/**
 * The gVisor engine: the validated config becomes an OCI bundle run by `runsc run` (ptrace
 * platform, so it needs no KVM).
 *
 * Process tree per VM: `setpriv --pdeathsig KILL runsc … run` (plus `unshare` + `sh` for an
 * overlayfs rootfs, all exec'd in place), whose sandbox and gofer are started `--attached`, i.e.
 * with their own PDEATHSIG: SIGKILL of our process therefore takes the whole tree down. State
 * (`--root`), bundle, log and overlay mount point live in one temp dir per VM, removed on every
 * path; a dir left by a SIGKILLed parent is removed by the next krunbox process (see tempDirs).
 */
import { spawn } from "node:child_process"
import { closeSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, watch, writeFileSync } from "node:fs"
import { basename, join, resolve } from "node:path"
import { PassThrough, type Readable } from "node:stream"
import { Manifest } from "@krunbox/runtime"
import { EngineCrashed, EngineUnavailable, type KrunboxError, PreBootFailure, UnsupportedOption } from "../errors.js"
import type { VmConfig } from "../internal/config.js"
import { openConsoleOutput } from "../internal/consoleOutput.js"
import { prepareOverlay, type OverlayPlan } from "../internal/overlay.js"
import { nativeRootPath } from "../internal/rootfsPath.js"
import { reapProcessesMentioning } from "../internal/procScan.js"
import { makeVmTempDir, removeTree } from "../internal/tempDirs.js"
import { which } from "../internal/which.js"
import { limitNotEnforced, type Notice } from "../Notice.js"
import type { Engine, EngineEnd, EngineSession, LaunchOptions } from "./Engine.js"

/** @internal */
export interface GvisorOptions {
  /** Path of `runsc`; default: `KRUNBOX_RUNSC`, then runtime.json's `runsc.path`, then PATH. */
  readonly runscPath?: string
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Docker's default set: the workload is root in its sandbox, as it is in a libkrun guest, but
// without the capabilities that would let it administer the sandbox kernel.
const capabilities = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"
]

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0

/** @internal */
export const resolveRunsc = (explicit?: string): string => {
  const unavailable = (reason: string) =>
    new EngineUnavailable({
      engine: "gvisor",
      reason,
      fix: "install gVisor's runsc (Debian/Ubuntu: apt-get install runsc) or run `krunbox setup`"
    })
  // an explicit choice is used or refused, never silently replaced by another runsc
  const fromEnv = process.env["KRUNBOX_RUNSC"]
  for (const [candidate, origin] of [[explicit, "the runscPath option"], [fromEnv, "KRUNBOX_RUNSC"]] as const) {
    if (candidate === undefined || candidate === "") continue
    const found = which(candidate)
    if (found === undefined) throw unavailable(`${origin} names ${candidate}, which is not an executable`)
    return found
  }
  const manifest = Manifest.readInstalled()
  const fromManifest = manifest._tag === "Found" ? manifest.manifest.runsc?.path : undefined
  const found = (fromManifest === undefined ? undefined : which(fromManifest)) ?? which("runsc")
  if (found === undefined) throw unavailable("runsc (gVisor) was not found (KRUNBOX_RUNSC, runtime.json, PATH)")
  return found
}

/**
 * Refuses what gVisor cannot enforce, naming the option (never silently widened or dropped).
 *
 * @internal
 */
export const checkGvisorSupport = (config: VmConfig, explicit: ReadonlySet<string>, root = isRoot()): void => {
  const refuse = (option: string, value: unknown, why: string, fix: string): never => {
    throw new UnsupportedOption({ engine: "gvisor", option, value, why, fix })
  }
  if (config.scope === "group" || config.scope === "public") {
    refuse("scope", config.scope, "runsc offers no network (none) or the host's network (any), no address filtering",
      "use scope \"none\" or \"any\"")
  }
  if (config.ip !== undefined) refuse("ip", config.ip, "runsc here has no private network to give the guest an address on", "leave ip unset")
  if (config.subnet !== undefined) refuse("subnet", config.subnet, "runsc here has no private network", "leave subnet unset")
  for (const pair of config.portMap) {
    if (config.scope !== "any") {
      refuse("portMap", `${pair.host}:${pair.guest}`, "with scope \"none\" the guest has no network", "use scope \"any\"")
    }
    if (pair.host !== pair.guest) {
      refuse("portMap", `${pair.host}:${pair.guest}`,
        "the guest shares the host's network, so a guest port can only be the same host port", `use ${pair.guest}:${pair.guest}`)
    }
  }
  if (!root) {
    // rootless runsc cannot create cgroups, so memory and CPU would not be limited
    if (explicit.has("memoryMib")) refuse("memoryMib", config.memoryMib, "rootless runsc cannot enforce a memory limit (no cgroups)", "run as root or drop ramMib")
    if (explicit.has("numVcpus")) refuse("numVcpus", config.numVcpus, "rootless runsc cannot enforce a CPU limit (no cgroups)", "run as root or drop numVcpus")
  }
}

/**
 * The process limit inside the sandbox: gVisor's sentry enforces RLIMIT_NPROC on the workload,
 * which is root without CAP_SYS_ADMIN/CAP_SYS_RESOURCE, so a fork past `pidsLimit` fails with
 * EAGAIN and the sandbox lives on (rootless too: no cgroup needed). A lower NPROC the user set
 * stays.
 *
 * @internal
 */
export const sandboxRlimits = (config: VmConfig): ReadonlyArray<{ type: string; soft: bigint; hard: bigint }> => {
  const cap = BigInt(config.pidsLimit)
  const min = (a: bigint, b: bigint) => (a < b ? a : b)
  const limits = config.rlimits.map((limit) =>
    limit.name === "RLIMIT_NPROC"
      ? { type: limit.name, soft: min(limit.soft, cap), hard: min(limit.hard, cap) }
      : { type: limit.name, soft: limit.soft, hard: limit.hard }
  )
  return limits.some((limit) => limit.type === "RLIMIT_NPROC") ? limits : [...limits, { type: "RLIMIT_NPROC", soft: cap, hard: cap }]
}

/**
 * The host pids cgroup's limit for a sandbox (as root): a backstop only. On the ptrace platform
 * every guest process costs the host about nine tasks (its stub process and threads, the
 * sentry's), and reaching a host cgroup limit kills the whole sandbox instead of failing one
 * fork, so it sits well above what `pidsLimit` guest processes need.
 *
 * @internal
 */
export const hostTasksBackstop = (pidsLimit: number): number => 16 * pidsLimit + 512

/**
 * What rootless runsc leaves unenforced although the user did not ask for it (explicit values are
 * refused by {@link checkGvisorSupport}): the default memory size and vCPU count.
 *
 * @internal
 */
export const gvisorNotices = (config: VmConfig, explicit: ReadonlySet<string>, root = isRoot()): ReadonlyArray<Notice> => {
  if (root) return []
  const notices: Array<Notice> = []
  if (!explicit.has("memoryMib")) notices.push(limitNotEnforced("gvisor", "memoryMib", config.memoryMib, `the memory limit (${config.memoryMib} MiB)`))
  if (!explicit.has("numVcpus")) notices.push(limitNotEnforced("gvisor", "numVcpus", config.numVcpus, `the CPU limit (${config.numVcpus} vCPU)`))
  return notices
}

/** JSON with bigints written as plain integers (OCI limits are u64). */
const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `__bigint__${v.toString()}` : v), 2).replace(
    /"__bigint__(\d+)"/g,
    "$1"
  )

/**
 * The OCI runtime spec for one run.
 *
 * @internal
 */
export const ociSpec = (config: VmConfig, rootPath: string, cgroupsPath: string | undefined): Record<string, unknown> => {
  const env = config.env.map((pair) => `${pair.key}=${pair.value}`)
  const has = (key: string) => config.env.some((pair) => pair.key === key)
  if (!has("PATH")) env.unshift(`PATH=${defaultPath}`)
  if (!has("HOME")) env.push("HOME=/root")
  const namespaces: Array<{ type: string }> = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }]
  if (config.scope !== "any") namespaces.push({ type: "network" })
  const linux: Record<string, unknown> = { namespaces }
  if (cgroupsPath !== undefined) {
    linux["cgroupsPath"] = cgroupsPath
    linux["resources"] = {
      memory: { limit: config.memoryMib * 1024 * 1024 },
      cpu: { quota: config.numVcpus * 100_000, period: 100_000 },
      pids: { limit: hostTasksBackstop(config.pidsLimit) }
    }
  }
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [config.execPath, ...config.args],
      env,
      cwd: config.workdirPath ?? "/",
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
      rlimits: sandboxRlimits(config),
      noNewPrivileges: true
    },
    root: { path: rootPath, readonly: false },
    hostname: "krunbox",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs" },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      ...config.mappedDirs.map((pair) => ({
        destination: pair.guest,
        type: "bind",
        source: resolve(pair.host),
        options: ["rbind", pair.readOnly === true ? "ro" : "rw"]
      }))
    ],
    linux
  }
}

/** The runsc failure recorded in its JSON log, if any. */
const runscError = (logPath: string): string | undefined => {
  let text: string
  try {
    text = readFileSync(logPath, "utf8")
  } catch {
    return undefined
  }
  let message: string | undefined
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string }
      if (entry.level === "error" || entry.level === "fatal") message = entry.msg
    } catch {
      // not JSON: a Go runtime message, ignore
    }
  }
  return message
}

/**
 * runsc reports "cannot start the workload" as exit 128 with its reason in the log; map it to the
 * guest init's encoding so both engines give the same statuses (126 cannot execute, 127 not found).
 */
const classifyRunscFailure = (message: string): { readonly status: number } | undefined => {
  if (!/creating process:|failed to load/.test(message)) return undefined
  if (/no such file or directory/i.test(message)) return { status: 127 }
  if (/permission denied|exec format error|not a directory|is a directory/i.test(message)) return { status: 126 }
  return undefined
}

const cgroupBases = (): ReadonlyArray<string> => {
  const bases = ["/sys/fs/cgroup"]
  try {
    for (const entry of readdirSync("/sys/fs/cgroup")) bases.push(join("/sys/fs/cgroup", entry))
  } catch {
    // no cgroupfs
  }
  return bases
}

/**
 * Removes the VM's cgroups (runsc leaves them when it is killed). A cgroup still holding a dying
 * or not yet reaped sandbox process refuses rmdir with EBUSY for a moment: retry briefly.
 */
const removeCgroups = async (relative: string, graceMs = 3_000): Promise<void> => {
  const deadline = Date.now() + graceMs
  let pending = cgroupBases().map((base) => join(base, relative)).filter((dir) => existsSync(dir))
  while (pending.length > 0) {
    pending = pending.filter((dir) => {
      try {
        rmdirSync(dir)
        return false
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EBUSY"
      }
    })
    if (pending.length === 0 || Date.now() >= deadline) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const emptyReadable = (): Readable => {
  const stream = new PassThrough()
  stream.end()
  return stream
}

/**
 * @internal
 */
export const gvisorEngine = (options: GvisorOptions = {}): Engine => ({
  name: "gvisor",
  launch: async (config: VmConfig, launchOptions: LaunchOptions): Promise<EngineSession> => {
    const root = isRoot()
    checkGvisorSupport(config, launchOptions.explicit, root)
    for (const notice of gvisorNotices(config, launchOptions.explicit, root)) launchOptions.onNotice?.(notice)
    const runsc = resolveRunsc(options.runscPath)
    const setpriv = which("setpriv")
    if (setpriv === undefined) {
      throw new EngineUnavailable({
        engine: "gvisor",
        reason: "`setpriv` (util-linux) is not on PATH; it ties runsc's lifetime to this process",
        fix: "install util-linux"
      })
    }

    const tempDir = makeVmTempDir()
    let overlay: OverlayPlan | undefined
    let consoleFd: number | undefined
    const cleanupBeforeSpawn = () => {
      overlay?.cleanup()
      if (consoleFd !== undefined) closeSync(consoleFd)
      removeTree(tempDir)
    }
    try {
      const id = basename(tempDir)
      const bundleDir = join(tempDir, "bundle")
      const stateDir = join(tempDir, "state")
      const logPath = join(tempDir, "runsc.log")
      const pidFile = join(tempDir, "container.pid")
      const cgroupsPath = root ? `/krunbox/${id}` : undefined

      let rootPath: string
      if (config.rootfs._tag === "Native") {
        rootPath = nativeRootPath("gvisor", config.rootfs, launchOptions, tempDir)
      } else {
        overlay = prepareOverlay(config.rootfs.paths, tempDir)
        rootPath = overlay.merged
      }
      mkdirSync(bundleDir)
      writeFileSync(join(bundleDir, "config.json"), toJson(ociSpec(config, rootPath, cgroupsPath)))

      const runscArgv = [
        runsc,
        "--root", stateDir,
        "--platform=ptrace",
        `--network=${config.scope === "any" ? "host" : "none"}`,
        "--log", logPath,
        "--log-format=json",
        ...(root ? ["--cpu-num-from-quota"] : ["--rootless", "--ignore-cgroups"]),
        ...(config.logLevel >= 4 ? ["--debug", "--debug-log", join(tempDir, "debug") + "/"] : []),
        "run",
        "--bundle", bundleDir,
        "--pid-file", pidFile,
        id
      ]
      const overlayScript =
        'err=$(mount -t overlay krunbox -o "$1" "$2" 2>&1) || { printf "%s" "$err" >&3; exit 125; }; exec 3>&-; shift 2; exec "$@"'
      const argv = overlay === undefined
        ? [setpriv, "--pdeathsig", "KILL", "--", ...runscArgv]
        : [setpriv, "--pdeathsig", "KILL", "--", ...overlay.unshareArgv, "/bin/sh", "-c", overlayScript, "krunbox-overlay", overlay.mountData, overlay.merged, ...runscArgv]

      if (config.consoleOutput !== undefined) consoleFd = openConsoleOutput("gvisor", config.consoleOutput)
      const output = consoleFd ?? "pipe"
      const child = spawn(argv[0] as string, argv.slice(1), {
        stdio: ["ignore", output, output, overlay === undefined ? "ignore" : "pipe"],
        detached: false
      })
      // the signals this session delivered: runsc dying of any other one crashed
      const sent = new Set<NodeJS.Signals>()
      if (consoleFd !== undefined) {
        closeSync(consoleFd)
        consoleFd = undefined
      }

      let overlayError = ""
      const overlayPipe = child.stdio[3] as Readable | null | undefined
      overlayPipe?.setEncoding("utf8")
      overlayPipe?.on("data", (chunk: string) => {
        overlayError += chunk
      })
      overlayPipe?.on("error", () => {})

      // readiness: runsc writes the pid file when the container exists, right before starting it
      const readyListeners: Array<() => void> = []
      let ready = false
      const markReady = () => {
        if (ready) return
        let size = 0
        try {
          size = statSync(pidFile).size
        } catch {
          return
        }
        if (size === 0) return
        ready = true
        watcher?.close()
        for (const listener of readyListeners.splice(0)) listener()
      }
      let watcher: ReturnType<typeof watch> | undefined
      try {
        watcher = watch(tempDir, (_event, name) => {
          if (name === "container.pid") markReady()
        })
        watcher.on("error", () => {})
      } catch {
        watcher = undefined
      }

      const ended = new Promise<EngineEnd>((resolveEnd) => {
        let spawnError: Error | undefined
        let finished = false
        const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
          if (finished) return
          finished = true
          markReady()
          watcher?.close()
          void (async () => {
            // the sandbox and gofer die through PDEATHSIG; wait for them before removing state
            await reapProcessesMentioning(stateDir)
            if (overlayPipe !== null && overlayPipe !== undefined) {
              // read the overlay mount's error to its EOF, then close the fd now rather than later
              await new Promise<void>((done) => {
                if (overlayPipe.destroyed) return done()
                overlayPipe.once("close", () => done())
                setTimeout(done, 500).unref()
              })
              overlayPipe.destroy()
            }
            if (cgroupsPath !== undefined) await removeCgroups(cgroupsPath)
            const logged = runscError(logPath)
            overlay?.cleanup()
            removeTree(tempDir)
            let end: EngineEnd
            if (spawnError !== undefined) {
              end = { _tag: "Failed", error: new EngineCrashed({ engine: "gvisor", exitCode: null, signal: null, stderrTail: spawnError.message, cause: spawnError }) }
            } else if (signal !== null && sent.has(signal)) {
              end = { _tag: "Signaled", signal }
            } else if (signal !== null) {
              end = { _tag: "Failed", error: new EngineCrashed({ engine: "gvisor", exitCode: null, signal, stderrTail: logged ?? "" }) }
            } else if (overlayError !== "") {
              end = {
                _tag: "Failed",
                error: new PreBootFailure({
                  engine: "gvisor",
                  stage: "overlay-mount",
                  failure: { _tag: "OverlayMountFailed", message: overlayError.trim(), mountData: overlay?.mountData }
                })
              }
            } else if (code === 128 && logged !== undefined) {
              const mapped = classifyRunscFailure(logged)
              end = mapped !== undefined
                ? { _tag: "Exited", status: mapped.status }
                : { _tag: "Failed", error: new PreBootFailure({ engine: "gvisor", stage: "runsc", failure: { _tag: "RunscFailed", message: logged, exitCode: code } }) as KrunboxError }
            } else {
              end = { _tag: "Exited", status: code ?? 0 }
            }
            resolveEnd(end)
          })()
        }
        child.on("exit", onEnd)
        child.on("error", (error) => {
          spawnError = error
          // a process that never started emits no "exit"
          if (child.pid === undefined) onEnd(null, null)
        })
      })

      return {
        engine: "gvisor",
        pid: child.pid,
        stdout: child.stdout ?? emptyReadable(),
        stderr: child.stderr ?? emptyReadable(),
        onReady: (listener) => {
          if (ready) listener()
          else readyListeners.push(listener)
        },
        kill: (signal) => {
          if (child.exitCode !== null || child.signalCode !== null || !child.kill(signal)) return false
          sent.add(signal)
          return true
        },
        ended
      }
    } catch (error) {
      cleanupBeforeSpawn()
      throw error
    }
  }
})
