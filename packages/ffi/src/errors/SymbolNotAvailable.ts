import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * The loaded library does not export a declared function: it was built without the feature
 * that gates it, for another platform, or it predates the function.
 *
 * @since 0.1.0
 * @category errors
 */
export class SymbolNotAvailable extends TaggedError("SymbolNotAvailable")<{
  /** The C function, e.g. `"krun_set_tee_config_file"`. */
  readonly function: string
  readonly library: "libkrun" | "libkrunfw"
  readonly libraryPath: string
  /** The loaded library's version, when known (see `LibkrunLibrary.version`). */
  readonly libraryVersion: string | undefined
  /** The first libkrun release whose header declares the function. */
  readonly since: string | undefined
  /** What provides the function, e.g. `built with the "tee" feature (KRUN_FEATURE_TEE)`. */
  readonly providedBy: string
  /** Why this library lacks it, as far as the bindings can tell. */
  readonly reason: string
  readonly hint: string
}> {
  override get message(): string {
    return `${this.function} is not exported by ${this.library} at ${this.libraryPath}` +
      ` (version ${this.libraryVersion ?? "unknown"}): it is provided by ${this.providedBy}; ${this.reason}. ${this.hint}`
  }
}
