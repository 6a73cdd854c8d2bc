import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * libkrunfw was requested after this libkrun already created a context. libkrun looks for
 * `libkrunfw.so.5` once, at its first `krun_create_ctx`, and remembers a miss for the life of the
 * process, so loading libkrunfw now would not be seen.
 *
 * @since 0.1.0
 * @category errors
 */
export class LibkrunfwPreloadTooLate extends TaggedError("LibkrunfwPreloadTooLate")<{
  readonly libkrunPath: string
}> {
  override get message(): string {
    return `libkrunfw cannot be attached to ${this.libkrunPath}: a context was already created without it. ${this.hint}`
  }

  get hint(): string {
    return 'Load with { libkrunfw: "required" } (the default) before the first createCtx, or do the work ' +
      "in a fresh process."
  }
}
