import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * `krun_start_enter` was called without the explicit opt-in. It never returns on success: the
 * VMM takes over the process and `_exit`s it when the guest stops, so it may only run in a
 * process meant to die with the VM (the sdk's runner child).
 *
 * @since 0.1.0
 * @category errors
 */
export class StartEnterNotAllowed extends TaggedError("StartEnterNotAllowed")<{
  readonly contextId: number
}> {
  readonly function = "krun_start_enter" as const

  override get message(): string {
    return `krun_start_enter(${this.contextId}) refused: it ends the calling process. ${this.hint}`
  }

  get hint(): string {
    return "Pass { iUnderstandThisEndsTheProcess: true } as the second argument, and only in a process " +
      "whose sole purpose is to become the VM (e.g. the sdk's runner child)."
  }
}
