/**
 * The base class of krunbox's hand-made errors (the SDK's, the image store's, setup's
 * `SetupFailed`): a `_tag`, a `hint` telling the user what to do, the original `cause`, a JSON view,
 * and an `isInstance` that recognises errors thrown by another copy of the package.
 *
 * @since 0.1.0
 */

// The key predates this module's move out of @krunbox/sdk: keeping it lets errors thrown by an
// older SDK copy still pass `isInstance`.
const KrunboxErrorTypeId: unique symbol = Symbol.for("@krunbox/sdk/KrunboxError") as never

/**
 * Base class of every krunbox error that is not a configuration error. Carries a `_tag`, a
 * `hint` telling the user what to do, and the original `cause` when there is one.
 *
 * @since 0.1.0
 * @category errors
 */
export abstract class KrunboxError extends Error {
  readonly [KrunboxErrorTypeId] = KrunboxErrorTypeId
  abstract readonly _tag: string
  /** What to do about it. */
  abstract readonly hint: string

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
  }

  override get name(): string {
    return this._tag
  }

  /**
   * True for any krunbox error, including ones thrown by another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(u: unknown): u is KrunboxError {
    return typeof u === "object" && u !== null && (u as Record<symbol, unknown>)[KrunboxErrorTypeId] === KrunboxErrorTypeId
  }

  /** A JSON-able view (for logs, the CLI's `--json`, and the runner protocol). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { _tag: this._tag, message: this.message, hint: this.hint }
    for (const [key, value] of Object.entries(this)) {
      if (key !== "cause") out[key] = typeof value === "bigint" ? value.toString() : value
    }
    return out
  }
}
