import { TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("SymbolNotAvailable")

/**
 * The loaded library does not export a declared function: it was built without the feature
 * that gates it, for another platform, or it predates the function.
 *
 * @since 0.1.0
 * @category errors
 */
export class SymbolNotAvailable extends TaggedError<"SymbolNotAvailable"> {
  readonly _tag = "SymbolNotAvailable" as const
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

  constructor(fields: {
    readonly function: string
    readonly library: "libkrun" | "libkrunfw"
    readonly libraryPath: string
    readonly libraryVersion: string | undefined
    readonly since: string | undefined
    readonly providedBy: string
    readonly reason: string
    readonly hint: string
  }) {
    super(
      `${fields.function} is not exported by ${fields.library} at ${fields.libraryPath}` +
        ` (version ${fields.libraryVersion ?? "unknown"}): it is provided by ${fields.providedBy}; ${fields.reason}. ${fields.hint}`
    )
    this.function = fields.function
    this.library = fields.library
    this.libraryPath = fields.libraryPath
    this.libraryVersion = fields.libraryVersion
    this.since = fields.since
    this.providedBy = fields.providedBy
    this.reason = fields.reason
    this.hint = fields.hint
  }

  override get name(): string {
    return "SymbolNotAvailable"
  }

  /**
   * Whether `value` is a `SymbolNotAvailable`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is SymbolNotAvailable {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(SymbolNotAvailable.prototype, marker, { value: true })
