/**
 * What a caller should know about a run that is not a failure (engine `auto` fell back to gVisor,
 * an image's `User` was not applied, a run's rootfs was left behind). The SDK never writes these
 * to the process's stdout or stderr: each reaches the `onNotice` callback of `spawn`, `run` or
 * `start` as a typed value, whose `message` is the one line to show (the CLI prints it on stderr
 * after `krunbox: `).
 *
 * @since 0.1.0
 */
import { escape as escapeForTerminal } from "@krunbox/core/TerminalText"
import type { EngineName } from "./errors.js"

/**
 * Engine `auto` uses gvisor because the (cached) libkrun boot probe says microVMs do not boot
 * here; `reason` is the probe's.
 *
 * @since 0.1.0
 * @category models
 */
export interface EngineFallback {
  readonly _tag: "EngineFallback"
  readonly engine: "gvisor"
  readonly reason: string
  readonly message: string
}

/**
 * An image's `User` resolves to someone other than root, but the engine runs every workload as
 * root (uid 0): the run goes ahead as root.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageUserNotApplied {
  readonly _tag: "ImageUserNotApplied"
  readonly reference: string
  readonly user: string
  readonly engine: EngineName
  readonly message: string
}

/**
 * A run's private rootfs (made from an image) could not be removed after the run; it names this
 * process as its owner, so the next prune or run removes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRootfsNotRemoved {
  readonly _tag: "RunRootfsNotRemoved"
  readonly path: string
  readonly reason: string
  readonly message: string
}

/**
 * The engine runs the VM but cannot enforce one of its limits: rootless gVisor has no cgroups, so
 * the memory size (the default 1024 MiB too) and the vCPU count bound nothing. Said, never left
 * silent on an untrusted workload; `message` says how to get the limit.
 *
 * @since 0.1.0
 * @category models
 */
export interface LimitNotEnforced {
  readonly _tag: "LimitNotEnforced"
  readonly engine: EngineName
  readonly option: "memoryMib" | "numVcpus"
  readonly value: number
  readonly message: string
}

/**
 * Every notice the SDK gives.
 *
 * @since 0.1.0
 * @category models
 */
export type Notice = EngineFallback | ImageUserNotApplied | RunRootfsNotRemoved | LimitNotEnforced

/**
 * Receives the notices of one `spawn`, `run` or `start`.
 *
 * @since 0.1.0
 * @category models
 */
export type NoticeListener = (notice: Notice) => void

/** @internal */
export const engineFallback = (reason: string): EngineFallback => ({
  _tag: "EngineFallback",
  engine: "gvisor",
  reason,
  message: `engine auto uses gvisor: ${reason}`
})

/** @internal */
export const imageUserNotApplied = (reference: string, user: string, engine: EngineName): ImageUserNotApplied => ({
  _tag: "ImageUserNotApplied",
  reference,
  user,
  engine,
  // the User string is the image's: shown, never obeyed by a terminal
  message: escapeForTerminal(`image ${reference} sets User ${JSON.stringify(user)}, but engine ${engine} runs workloads as root (uid 0): running it as root`)
})

/** @internal */
export const limitNotEnforced = (engine: EngineName, option: LimitNotEnforced["option"], value: number, what: string): LimitNotEnforced => ({
  _tag: "LimitNotEnforced",
  engine,
  option,
  value,
  message: `rootless ${engine} cannot enforce ${what}: without cgroups it bounds nothing; run krunbox as root (runsc then puts the sandbox in cgroups), or use engine libkrun where microVMs boot`
})

/** @internal */
export const runRootfsNotRemoved = (path: string, reason: string): RunRootfsNotRemoved => ({
  _tag: "RunRootfsNotRemoved",
  path,
  reason,
  message: `could not remove the run's rootfs ${path}: ${reason}`
})

/**
 * Hands a notice to the caller's listener, if any. A listener that throws must not turn a run
 * that went fine into a failed one, nor stop a cleanup half-way, so its exception ends here.
 *
 * @internal
 */
export const notifier = (listener: NoticeListener | undefined): ((notice: Notice) => void) => (notice) => {
  try {
    listener?.(notice)
  } catch {
    // the listener's own failure is not the run's
  }
}
