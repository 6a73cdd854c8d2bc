import { TaggedError } from "@krunbox/core/KrunboxError"
import type { LibkrunFunctionName } from "../Functions.js"
import type { ArgumentSummary } from "../internal/convert.js"

/**
 * A libkrun function returned a negative errno.
 *
 * @since 0.1.0
 * @category errors
 */
export class KrunError extends TaggedError("KrunError")<{
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
}> {
  override get message(): string {
    return `${this.function}(${this.arguments.map((a) => JSON.stringify(a)).join(", ")}) failed with ` +
      `${this.errnoName} (${this.errnoMessage}). ${this.hint}`
  }
}
