import type { SetupError } from "../SetupError.js"

/**
 * The setup steps, in the order they run.
 *
 * @since 0.1.0
 * @category models
 */
export type SetupStep = "init" | "libkrun" | "libkrunfw" | "rootfs" | "runsc"

/**
 * One progress event: a step starts, finishes, is skipped (already done, or a system copy is
 * used), or reports a line of a long command's output (`progress`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SetupProgress {
  readonly step: SetupStep
  readonly status: "start" | "done" | "skip" | "progress"
  readonly detail: string
  /** Present when a step that setup can live without (runsc) could not be completed. */
  readonly error?: SetupError
}

/**
 * Receives {@link SetupProgress} events.
 *
 * @since 0.1.0
 * @category models
 */
export type ProgressListener = (event: SetupProgress) => void

export interface StepContext {
  readonly force: boolean
  readonly emit: ProgressListener
}
