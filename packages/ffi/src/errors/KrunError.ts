import type { LibkrunFunctionName } from "../Functions.js"
import { type ArgumentSummary, TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("KrunError")

/**
 * A libkrun function returned a negative errno.
 *
 * @since 0.1.0
 * @category errors
 */
export class KrunError extends TaggedError<"KrunError"> {
  readonly _tag = "KrunError" as const
  /** The C function that failed, e.g. `"krun_set_root"`. */
  readonly function: LibkrunFunctionName
  /** The raw return value (`-errno`). */
  readonly returnCode: number
  /** The positive errno, e.g. `22`. */
  readonly errno: number
  /** The errno's symbolic name on this host, e.g. `"EINVAL"`. */
  readonly errnoName: string
  /** The C library's text for the errno, e.g. `"Invalid argument"`. */
  readonly errnoMessage: string
  /** The arguments of the failed call, summarised. */
  readonly arguments: ReadonlyArray<ArgumentSummary>
  readonly hint: string

  constructor(fields: {
    readonly function: LibkrunFunctionName
    readonly returnCode: number
    readonly errno: number
    readonly errnoName: string
    readonly errnoMessage: string
    readonly arguments: ReadonlyArray<ArgumentSummary>
    readonly hint: string
  }) {
    super(
      `${fields.function}(${fields.arguments.map((a) => JSON.stringify(a)).join(", ")}) failed with ` +
        `${fields.errnoName} (${fields.errnoMessage}). ${fields.hint}`
    )
    this.function = fields.function
    this.returnCode = fields.returnCode
    this.errno = fields.errno
    this.errnoName = fields.errnoName
    this.errnoMessage = fields.errnoMessage
    this.arguments = fields.arguments
    this.hint = fields.hint
  }

  override get name(): string {
    return "KrunError"
  }

  /**
   * Whether `value` is a `KrunError`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is KrunError {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(KrunError.prototype, marker, { value: true })
