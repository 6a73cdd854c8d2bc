/**
 * The libkrun engine: each VM runs in its own runner child process (src/runner.ts).
 *
 * Before spawning: `/dev/kvm` access and PVM are checked (each its own typed error), the options
 * libkrun cannot enforce are refused, the libraries are located. The runner gets the config on
 * fd 3 and reports on fd 4 (`entering`, or a structured pre-boot `error`); it dies with us through
 * PR_SET_PDEATHSIG. The guest init's control messages arrive on a unix socket in the VM's temp
 * dir, mapped to vsock port 1100.
 */
import { spawn } from "node:child_process"
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { PassThrough, type Readable, type Writable } from "node:stream"
import { fileURLToPath } from "node:url"
import { HostChecks, Manifest } from "@krunbox/runtime"
import { EngineCrashed, EngineUnavailable, GuestBootFailed, GuestCrashed, PreBootFailure } from "../errors.js"
import type { VmConfig } from "../internal/config.js"
import { openConsoleOutput } from "../internal/consoleOutput.js"
import { type ControlServer, type GuestMessage, listenControl } from "../internal/controlSocket.js"
import { type OverlayPlan, prepareOverlay } from "../internal/overlay.js"
import { nativeRootPath } from "../internal/rootfsPath.js"
import type { RunnerMessage } from "../internal/runnerProtocol.js"
import { makeVmTempDir, removeTree } from "../internal/tempDirs.js"
import type { Engine, EngineEnd, EngineSession, LaunchOptions } from "./Engine.js"
import { locateLibrary } from "./libraries.js"
import { checkLibkrunSupport, runnerRequest } from "./libkrunPlan.js"

/** @internal */
export interface LibkrunOptions {
  readonly libkrunPath?: string
  readonly libkrunfwPath?: string
  /** Default `/dev/kvm`. */
  readonly kvmPath?: string
  /** Default `/sys/module` (PVM shows as `kvm_pvm` there). */
  readonly sysModuleDir?: string
  /**
   * Test and benchmark hook: the runner applies the whole config, reports the calls it made and
   * exits 0 right before `krun_start_enter`. No guest boots, so the PVM check is skipped.
   */
  readonly stopBeforeEnter?: boolean
  /** With stopBeforeEnter: the runner stays alive this long after `stopped` (PDEATHSIG tests). */
  readonly holdMs?: number
  /** Sees every runner message (the ordered libkrun calls, RSS at `entering`). */
  readonly onRunnerMessage?: (message: RunnerMessage) => void
  /** Sees every guest control message. */
  readonly onGuestMessage?: (message: GuestMessage) => void
  /**
   * Whether the guest's init speaks the control protocol (sends `ready`), so that a VMM exit
   * without `ready` is a failed boot. Default: true when the libkrun that will be loaded is the one
   * `krunbox setup` built with krunbox-init embedded (runtime.json's `init.embeddedInLibkrun`).
   */
  readonly initSendsReady?: boolean
}

/**
 * A system libkrun embeds libkrun's own init, which never sends `ready`: only the libkrun that
 * setup built around krunbox-init lets "no ready" mean "no boot".
 */
const initSendsReady = (libkrunPath: string | undefined): boolean => {
  const manifest = Manifest.readInstalled()
  if (manifest._tag !== "Found" || !manifest.manifest.init.embeddedInLibkrun) return false
  const located = locateLibrary("libkrun", libkrunPath)
  return located !== undefined && resolve(located) === resolve(manifest.manifest.libkrun.path)
}

const TAIL_BYTES = 4096

/** The last bytes of a file (the guest console), or "" when it cannot be read. */
const fileTail = (path: string): string => {
  try {
    const fd = openSync(path, "r")
    try {
      const size = fstatSync(fd).size
      const length = Math.min(size, TAIL_BYTES)
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, size - length)
      return buffer.toString("utf8")
    } finally {
      closeSync(fd)
    }
  } catch {
    return ""
  }
}

/**
 * Where `runner.js` is: beside the bundle in dist/, or dist/ when running from src/ (tests).
 *
 * @internal
 */
export const runnerPath = (): string => {
  const explicit = process.env["KRUNBOX_RUNNER"]
  if (explicit !== undefined && explicit !== "") return explicit
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, "runner.js"), join(here, "..", "runner.js"), resolve(here, "..", "..", "dist", "runner.js")]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (found === undefined) {
    throw new EngineUnavailable({
      engine: "libkrun",
      reason: `the VM runner is missing (looked for ${candidates.join(", ")})`,
      fix: "build @krunbox/sdk (pnpm --filter @krunbox/sdk build) or reinstall it"
    })
  }
  return found
}

const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/**
 * The runner's whole environment, explicit: a fixed PATH, and LD_LIBRARY_PATH when the user set
 * one (libkrun dlopens libkrunfw by name). Nothing else of ours reaches it: NODE_OPTIONS would
 * preload code into the VMM's process, and every value it needs comes in its request.
 *
 * @internal
 */
export const runnerEnvironment = (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const libraryPath = env["LD_LIBRARY_PATH"]
  return { PATH: systemPath, ...(libraryPath === undefined || libraryPath === "" ? {} : { LD_LIBRARY_PATH: libraryPath }) }
}

const parseLines = (stream: Readable, onLine: (line: string) => void): void => {
  stream.setEncoding("utf8")
  let buffer = ""
  stream.on("data", (chunk: string) => {
    buffer += chunk
    let newline = buffer.indexOf("\n")
    while (newline >= 0) {
      onLine(buffer.slice(0, newline))
      buffer = buffer.slice(newline + 1)
      newline = buffer.indexOf("\n")
    }
  })
  stream.on("error", () => {})
}

/**
 * Launches one libkrun VM.
 *
 * @internal
 */
export const launchLibkrun = async (
  config: VmConfig,
  launchOptions: LaunchOptions,
  options: LibkrunOptions = {}
): Promise<EngineSession> => {
  HostChecks.checkKvmAccess(options.kvmPath)
  if (options.stopBeforeEnter !== true) HostChecks.checkNotPvm(options.sysModuleDir)
  checkLibkrunSupport(config)
  const runner = runnerPath()
  const expectReady = options.stopBeforeEnter !== true && (options.initSendsReady ?? initSendsReady(options.libkrunPath))

  // libkrun opens it only inside krun_start_enter, where a failure is no typed error
  if (config.consoleOutput !== undefined) closeSync(openConsoleOutput("libkrun", config.consoleOutput))
  const tempDir = makeVmTempDir()
  let overlay: OverlayPlan | undefined
  let control: ControlServer | undefined
  try {
    let root: string
    if (config.rootfs._tag === "Native") {
      root = nativeRootPath("libkrun", config.rootfs, launchOptions, tempDir)
    } else {
      overlay = prepareOverlay(config.rootfs.paths, tempDir)
      root = overlay.merged
    }
    control = await listenControl(join(tempDir, "control.sock"))
    const request = runnerRequest(config, {
      parentPid: process.pid,
      // found here, where the user's environment (KRUNBOX_LIBKRUN, ...) is read: the runner gets none
      libkrunPath: locateLibrary("libkrun", options.libkrunPath) ?? options.libkrunPath ?? null,
      libkrunfwPath: locateLibrary("libkrunfw", options.libkrunfwPath) ?? options.libkrunfwPath ?? null,
      root,
      overlayMountData: overlay?.mountData ?? null,
      controlSocket: control.path,
      stopBeforeEnter: options.stopBeforeEnter === true,
      ...(options.holdMs === undefined ? {} : { holdMs: options.holdMs })
    })

    const argv = [...(overlay?.unshareArgv ?? []), process.execPath, runner]
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      env: runnerEnvironment(),
      // its own process group: a terminal's Ctrl-C reaches only us, and we decide how the VM
      // stops; every signal the runner dies of is then one we sent or a crash (PDEATHSIG still
      // ties it to this process)
      detached: true
    })
    // the signals this session delivered: the runner dying of any other one crashed
    const sent = new Set<NodeJS.Signals>()

    const readyListeners: Array<() => void> = []
    let ready = false
    const markReady = () => {
      if (ready) return
      ready = true
      for (const listener of readyListeners.splice(0)) listener()
    }
    let guestExit: { readonly status: number } | undefined
    control.onMessage((message) => {
      options.onGuestMessage?.(message)
      if (message.type === "ready") markReady()
      else if (message.type === "exit" && typeof message.status === "number") guestExit = { status: message.status }
    })

    let entered = false
    let stopped = false
    let preBoot: { stage: string; error: Readonly<Record<string, unknown>> } | undefined
    const messages = child.stdio[4] as Readable
    parseLines(messages, (line) => {
      let message: RunnerMessage
      try {
        message = JSON.parse(line) as RunnerMessage
      } catch {
        return
      }
      options.onRunnerMessage?.(message)
      if (message.type === "entering") entered = true
      else if (message.type === "stopped") stopped = true
      else if (message.type === "error") preBoot = { stage: message.stage, error: message.error }
    })
    const requestPipe = child.stdio[3] as Writable
    requestPipe.on("error", () => {})
    requestPipe.end(JSON.stringify(request))

    // keep the last runner output for a crash report, without taking the stream from the user
    const stderr = new PassThrough()
    let stderrTail = ""
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString("utf8")).slice(-4096)
    })
    // ended only once the runner's stderr socket is closed (its `end` comes turns earlier), so the
    // caller's stream never ends while an fd of this VM is still open
    child.stderr?.pipe(stderr, { end: false })
    if (child.stderr === null) stderr.end()
    else child.stderr.once("close", () => stderr.end())

    const serverToClose = control
    const ended = new Promise<EngineEnd>((resolveEnd) => {
      let spawnError: Error | undefined
      let finished = false
      const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
        if (finished) return
        finished = true
        void (async () => {
          // fd 4 may still hold the last message after the exit event: read it to the end first
          await new Promise<void>((done) => {
            if (messages.readableEnded || messages.destroyed) done()
            else {
              messages.once("close", () => done())
              messages.once("end", () => done())
              setTimeout(done, 500).unref()
            }
          })
          // the guest's messages may still sit unread in the socket when the runner is gone;
          // ordering on the one connection guarantees `ready` is read before `exit`
          if (entered) await serverToClose.drain(2_000)
          await serverToClose.close()
          // the runner's fds 3 and 4 are closed here and now, not some turns after their EOF
          messages.destroy()
          requestPipe.destroy()
          overlay?.cleanup()
          removeTree(tempDir)
          let end: EngineEnd
          if (spawnError !== undefined) {
            end = { _tag: "Failed", error: new EngineCrashed({ engine: "libkrun", exitCode: null, signal: null, stderrTail: spawnError.message, cause: spawnError }) }
          } else if (signal !== null && sent.has(signal)) {
            end = { _tag: "Signaled", signal }
          } else if (signal !== null) {
            // e.g. libkrun panicking (SIGABRT), a segfault, the OOM killer: not a kill of ours
            end = { _tag: "Failed", error: new EngineCrashed({ engine: "libkrun", exitCode: null, signal, stderrTail }) }
          } else if (preBoot !== undefined) {
            end = { _tag: "Failed", error: new PreBootFailure({ engine: "libkrun", stage: preBoot.stage, failure: preBoot.error }) }
          } else if (stopped) {
            end = { _tag: "Exited", status: code ?? 0 }
          } else if (entered && expectReady && (!ready || guestExit === undefined)) {
            // An init that speaks the protocol always sends `exit` before it hands the status to
            // the VMM: without it nobody reported a status, and the VMM's code (0 after a guest
            // panic, triple fault or reboot) must not pass for one.
            const consoleTail = config.consoleOutput === undefined ? "" : fileTail(config.consoleOutput)
            const seen = {
              engine: "libkrun" as const,
              exitCode: code,
              consoleTail: consoleTail === "" ? stderrTail : consoleTail,
              consoleOutput: config.consoleOutput ?? null
            }
            end = {
              _tag: "Failed",
              error: ready ? new GuestCrashed(seen) : new GuestBootFailed({ ...seen, pvmHost: HostChecks.isPvmHost(options.sysModuleDir) })
            }
          } else if (entered) {
            // The init's `exit` is the workload's status as the init saw it; the runner's code is
            // the same status after one more hop (ioctl 0x7602 → VMM `_exit`), which only fails
            // when the guest dies after sending `exit`. Trust the message, ignore a mismatch.
            // Without the protocol (a system libkrun's own init) the VMM's code is all there is.
            end = { _tag: "Exited", status: guestExit?.status ?? code ?? 0 }
          } else {
            end = { _tag: "Failed", error: new EngineCrashed({ engine: "libkrun", exitCode: code, signal: null, stderrTail }) }
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
      engine: "libkrun",
      pid: child.pid,
      stdout: child.stdout ?? new PassThrough().end(),
      stderr,
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
    await control?.close()
    overlay?.cleanup()
    removeTree(tempDir)
    throw error
  }
}

/**
 * @internal
 */
export const libkrunEngine = (options: LibkrunOptions = {}): Engine => ({
  name: "libkrun",
  launch: (config, launchOptions) => launchLibkrun(config, launchOptions, options)
})
