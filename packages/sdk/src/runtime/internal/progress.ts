import type { SetupError } from "../SetupError.js"

export type SetupStep = "init" | "libkrun" | "libkrunfw" | "rootfs" | "runsc"

export interface SetupProgress {
  readonly step: SetupStep
  readonly status: "start" | "done" | "skip" | "progress"
  readonly detail: string
  /** Present when a step that setup can live without (runsc) could not be completed. */
  readonly error?: SetupError
}

export type ProgressListener = (event: SetupProgress) => void

export interface StepContext {
  readonly force: boolean
  readonly emit: ProgressListener
}
