import type { Readable } from "node:stream"
import type { EngineName, KrunboxError } from "../errors.js"
import type { VmConfig } from "../internal/config.js"
import type { Notice } from "../Notice.js"

/**
 * What an engine needs besides the validated config.
 *
 * @internal
 */
export interface LaunchOptions {
  /** Options the user set explicitly (core fills defaults for the others). */
  readonly explicit: ReadonlySet<string>
  /** Receives the run's notices found at launch (a limit the engine cannot enforce). */
  readonly onNotice?: ((notice: Notice) => void) | undefined
}

/**
 * How an engine process ended.
 *
 * @internal
 */
export type EngineEnd =
  /** The workload's status (0..255, 128+n for a guest signal n, 125/126/127 as the init encodes). */
  | { readonly _tag: "Exited"; readonly status: number }
  /**
   * The host process was ended by a signal this session's `kill` delivered (kill(), timeout,
   * abort). A signal krunbox did not send is the engine crashing: `Failed` with `EngineCrashed`.
   */
  | { readonly _tag: "Signaled"; readonly signal: NodeJS.Signals }
  /**
   * The VM never started: a typed pre-boot failure (core's InvalidMicroVmConfig when the
   * configuration resolved from an image does not validate).
   */
  | { readonly _tag: "Failed"; readonly error: KrunboxError }

/**
 * One running VM as an engine sees it. Streams are always pipes (libkrun sets O_NONBLOCK on its
 * stdio, so handing it our own fds would break the parent's terminal).
 *
 * @internal
 */
export interface EngineSession {
  readonly engine: EngineName
  readonly pid: number | undefined
  readonly stdout: Readable
  readonly stderr: Readable
  /** Called once when the workload is known to have started. */
  onReady(listener: () => void): void
  /**
   * Sends `signal` to the engine's process while it runs. Returns whether it was delivered: false
   * once the process has exited (even when cleanup is still under way), so that a late kill never
   * passes for the VM's end.
   */
  kill(signal: NodeJS.Signals): boolean
  /** Settles after the host process ended and every temp dir / socket / process is gone. */
  readonly ended: Promise<EngineEnd>
}

/**
 * One way of running a validated config.
 *
 * @internal
 */
export interface Engine {
  readonly name: EngineName
  /** Rejects with a typed error for anything detectable before a process is spawned. */
  launch(config: VmConfig, options: LaunchOptions): Promise<EngineSession>
}
