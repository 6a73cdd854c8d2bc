/**
 * The VM runner: one child process per libkrun VM (`node dist/runner.js`).
 *
 * `krun_start_enter` never returns once the guest runs (the VMM `_exit`s with the guest's status),
 * and it takes over the process, so it cannot run in the user's process. This entry reads its
 * request on fd 3, ties its life to the parent (PR_SET_PDEATHSIG), applies the configuration to a
 * libkrun context in a fixed order, reports on fd 4 and enters the VM. A failure before that is
 * reported as structured JSON (a krunbox error's `toJSON()`) and ends the runner with 125.
 *
 * @internal
 */
import { KrunboxError } from "@krunbox/core/KrunboxError"
import { type ContextId, Libkrun, type LibkrunLibrary } from "@krunbox/ffi"
import koffi from "koffi"
import { readdirSync, readFileSync, writeSync } from "node:fs"
import { performance } from "node:perf_hooks"
import {
  CONTROL_VSOCK_PORT,
  RUNNER_PREBOOT_EXIT,
  type RunnerCall,
  type RunnerMessage,
  type RunnerRequest
} from "./internal/runnerProtocol.js"

const REQUEST_FD = 3
const MESSAGE_FD = 4
const PR_SET_PDEATHSIG = 1
const SIGKILL = 9
const MS_NOSUID = 2
const MS_NODEV = 4

const send = (message: RunnerMessage): void => {
  try {
    writeSync(MESSAGE_FD, JSON.stringify(message) + "\n")
  } catch {
    // the parent is gone; PDEATHSIG ends us
  }
}

class StageFailed {
  constructor(readonly stage: string, readonly error: Readonly<Record<string, unknown>>) {}
}

const describe = (error: unknown): Readonly<Record<string, unknown>> => {
  if (KrunboxError.isInstance(error)) return error.toJSON()
  if (typeof error === "object" && error !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(error)) out[key] = typeof value === "bigint" ? value.toString() : value
    if (error instanceof Error) {
      out["_tag"] ??= error.name
      out["message"] ??= error.message
    }
    return out
  }
  return { _tag: "UnknownError", message: String(error) }
}

const libc = (() => {
  let lib: ReturnType<typeof koffi.load> | undefined
  return () => (lib ??= koffi.load("libc.so.6"))
})()

/** Dies with the parent; then makes sure the parent did not already die before the prctl. */
const bindToParent = (parentPid: number): void => {
  const prctl = libc().func("int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)")
  const getppid = libc().func("int getppid()")
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) !== 0) {
    throw new StageFailed("pdeathsig", { _tag: "PdeathsigFailed", message: `prctl(PR_SET_PDEATHSIG) failed: errno ${koffi.errno()}` })
  }
  if (getppid() !== parentPid) {
    // the parent died between spawning us and the prctl: nobody is waiting for this VM
    process.exit(RUNNER_PREBOOT_EXIT)
  }
}

const mountOverlay = (target: string, mountData: string): void => {
  const mount = libc().func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)")
  if (mount("krunbox", target, "overlay", MS_NOSUID | MS_NODEV, mountData) !== 0) {
    const errno = koffi.errno()
    throw new StageFailed("overlay-mount", {
      _tag: "OverlayMountFailed",
      errno,
      message: `mount -t overlay on ${target} failed (errno ${errno})`,
      mountData,
      hint: "overlayfs needs root and lower/upper directories on filesystems that support it (not overlayfs or NFS as upper)"
    })
  }
}

/**
 * Applies the request in libkrun's required order. Returns the context id and the calls made.
 * Exported for the runner's own module graph only.
 */
const configure = (krun: LibkrunLibrary, request: RunnerRequest, calls: Array<RunnerCall>): ContextId => {
  let ctx: ContextId | undefined
  const call = <A>(fn: string, args: ReadonlyArray<unknown>, run: () => A): A => {
    calls.push({ fn, args })
    try {
      return run()
    } catch (error) {
      if (ctx !== undefined) {
        try {
          krun.freeCtx(ctx)
        } catch {
          // the context is dropped with the process anyway
        }
      }
      throw new StageFailed(fn, describe(error))
    }
  }
  // the logger is process-global and aborts when initialised twice: exactly once, first
  call("krun_set_log_level", [request.logLevel], () => krun.setLogLevel(request.logLevel))
  const id = call("krun_create_ctx", [], () => krun.createCtx())
  ctx = id
  call("krun_set_vm_config", [id, request.numVcpus, request.memoryMib], () => krun.setVmConfig(id, request.numVcpus, request.memoryMib))
  call("krun_set_root", [id, request.root], () => krun.setRoot(id, request.root))
  for (const fs of request.virtiofs) {
    // virtiofs3 with no DAX window is what krun_add_virtiofs does, plus the read-only flag
    call("krun_add_virtiofs3", [id, fs.tag, fs.hostPath, 0, fs.readOnly], () => krun.addVirtiofs3(id, fs.tag, fs.hostPath, 0, fs.readOnly))
  }
  // an explicit vsock device decides the network: TSI inet hijacking for scope any, none at all
  // for scope none (the control port below still works: it is not TSI)
  call("krun_disable_implicit_vsock", [id], () => krun.disableImplicitVsock(id))
  call("krun_add_vsock", [id, request.tsiFlags], () => krun.addVsock(id, request.tsiFlags))
  if (request.portMap !== null) {
    const portMap = request.portMap
    call("krun_set_port_map", [id, portMap], () => krun.setPortMap(id, portMap))
  }
  call("krun_add_vsock_port", [id, CONTROL_VSOCK_PORT, request.controlSocket], () =>
    krun.addVsockPort(id, CONTROL_VSOCK_PORT, request.controlSocket))
  if (request.rlimits.length > 0) call("krun_set_rlimits", [id, request.rlimits], () => krun.setRlimits(id, request.rlimits))
  if (request.workdir !== null) {
    const workdir = request.workdir
    call("krun_set_workdir", [id, workdir], () => krun.setWorkdir(id, workdir))
  }
  call("krun_set_exec", [id, request.execPath, request.args, request.env], () =>
    krun.setExec(id, request.execPath, request.args, request.env))
  if (request.consoleOutput !== null) {
    const output = request.consoleOutput
    call("krun_set_console_output", [id, output], () => krun.setConsoleOutput(id, output))
  }
  return id
}

const readRequest = (): RunnerRequest => {
  let text: string
  try {
    text = readFileSync(REQUEST_FD, "utf8")
  } catch (error) {
    throw new StageFailed("request", { _tag: "RunnerRequestUnreadable", message: `cannot read the request on fd ${REQUEST_FD}: ${String(error)}` })
  }
  let request: RunnerRequest
  try {
    request = JSON.parse(text) as RunnerRequest
  } catch {
    throw new StageFailed("request", { _tag: "RunnerRequestInvalid", message: "the request on fd 3 is not JSON" })
  }
  if (request.v !== 1) {
    throw new StageFailed("request", { _tag: "RunnerProtocolMismatch", message: `runner protocol v1 expected, got ${String(request.v)}` })
  }
  return request
}

const main = (): void => {
  const calls: Array<RunnerCall> = []
  try {
    const request = readRequest()
    bindToParent(request.parentPid)
    if (request.overlay !== null) mountOverlay(request.root, request.overlay.mountData)
    let krun: LibkrunLibrary
    try {
      // discovery as @krunbox/ffi documents it (explicit path, KRUNBOX_LIBKRUN[FW], runtime.json,
      // system); libkrunfw is preloaded so libkrun's dlopen by SONAME finds the same file
      krun = Libkrun.load({
        ...(request.libkrunPath === null ? {} : { path: request.libkrunPath }),
        ...(request.libkrunfwPath === null ? {} : { libkrunfwPath: request.libkrunfwPath })
      })
    } catch (error) {
      throw new StageFailed("load", describe(error))
    }
    const ctx = configure(krun, request, calls)
    const footprint = { rssBytes: process.memoryUsage.rss(), uptimeMs: performance.now() }
    if (request.stopBeforeEnter) {
      krun.freeCtx(ctx)
      send({ type: "stopped", calls, ...footprint, rootEntries: readdirSync(request.root).sort() })
      if (request.holdMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, request.holdMs)
      process.exit(0)
    }
    send({ type: "entering", calls, ...footprint })
    calls.push({ fn: "krun_start_enter", args: [ctx] })
    try {
      krun.startEnter(ctx, { iUnderstandThisEndsTheProcess: true })
    } catch (error) {
      throw new StageFailed("krun_start_enter", describe(error))
    }
  } catch (error) {
    const failure = error instanceof StageFailed ? error : new StageFailed("runner", describe(error))
    send({ type: "error", stage: failure.stage, error: failure.error, calls })
    process.exit(RUNNER_PREBOOT_EXIT)
  }
}

main()
