/**
 * Shared shape of the package's errors: a `_tag`, the offending data as readonly fields, a hint
 * that says how to fix it, and a JSON form (the sdk's runner sends errors to its parent as JSON).
 * Each error class carries a `Symbol.for` marker so `isInstance` recognises errors created by
 * another copy of this package.
 */

/** A JSON-safe rendering of a value that crossed (or was about to cross) the C boundary. */
export type ArgumentSummary = string | number | boolean | null | ReadonlyArray<ArgumentSummary>

export abstract class TaggedError<Tag extends string> extends Error {
  abstract readonly _tag: Tag
  abstract readonly hint: string

  constructor(message: string) {
    super(message)
  }

  /** Own fields plus `message`; `stack` is left out on purpose (it is local to this process). */
  toJSON(): { readonly _tag: Tag; readonly message: string } & Record<string, unknown> {
    return { ...Object.fromEntries(Object.entries(this)), _tag: this._tag, message: this.message }
  }
}

export const errorMarker = (tag: string): symbol => Symbol.for(`@krunbox/ffi/${tag}`)

export const hasMarker = (value: unknown, marker: symbol): boolean =>
  typeof value === "object" && value !== null && Reflect.get(value, marker) === true
