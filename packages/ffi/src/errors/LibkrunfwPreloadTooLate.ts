import { TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("LibkrunfwPreloadTooLate")

/**
 * libkrunfw was requested after this libkrun already created a context. libkrun looks for
 * `libkrunfw.so.5` once, at its first `krun_create_ctx`, and remembers a miss for the life of the
 * process, so loading libkrunfw now would not be seen.
 *
 * @since 0.1.0
 * @category errors
 */
export class LibkrunfwPreloadTooLate extends TaggedError<"LibkrunfwPreloadTooLate"> {
  readonly _tag = "LibkrunfwPreloadTooLate" as const
  readonly libkrunPath: string
  readonly hint: string

  constructor(fields: { readonly libkrunPath: string }) {
    const hint =
      'Load with { libkrunfw: "required" } (the default) before the first createCtx, or do the work ' +
      "in a fresh process."
    super(
      `libkrunfw cannot be attached to ${fields.libkrunPath}: a context was already created without it. ${hint}`
    )
    this.libkrunPath = fields.libkrunPath
    this.hint = hint
  }

  override get name(): string {
    return "LibkrunfwPreloadTooLate"
  }

  /**
   * Whether `value` is a `LibkrunfwPreloadTooLate`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is LibkrunfwPreloadTooLate {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(LibkrunfwPreloadTooLate.prototype, marker, { value: true })
