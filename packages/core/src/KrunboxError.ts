/**
 * The one error base of krunbox: every error any `@krunbox/*` package throws or fails with
 * extends {@link KrunboxError}, so a caller needs one check, `KrunboxError.isInstance(u)`.
 *
 * An error has a `_tag`, the offending values as fields, a `message` that names them, a `hint`
 * saying how to fix it, the original `cause` when there is one, and a JSON form. It is Effect's
 * `Data.Error` underneath, so Effect code can `yield*` it to fail.
 *
 * This module imports nothing of krunbox and only `effect/Data` of Effect, so the VM runner
 * (which must start fast) gets it through `@krunbox/core/KrunboxError` without loading the rest
 * of core.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Types from "effect/Types"

// A global symbol, not a module-local one: two copies of @krunbox/core (two versions installed
// side by side) must recognise each other's errors; `instanceof` cannot.
const KrunboxErrorTypeId: unique symbol = Symbol.for("@krunbox/core/KrunboxError") as never

/**
 * What {@link KrunboxError.toJSON} returns: `_tag`, `message`, `hint`, every field, and `cause`
 * when there is one; only JSON values (bigints become decimal strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface KrunboxErrorJson {
  readonly _tag: string
  readonly message: string
  readonly hint: string
  readonly [field: string]: unknown
}

/**
 * The base class of every krunbox error. Subclasses are made with {@link TaggedError}, which
 * adds the `_tag`, the fields and a per-class `isInstance`; each defines `hint` and usually a
 * computed `message`.
 *
 * @since 0.1.0
 * @category errors
 */
export abstract class KrunboxError extends Data.Error<{}> {
  declare readonly [KrunboxErrorTypeId]: typeof KrunboxErrorTypeId
  abstract readonly _tag: string
  /** What to do about it. */
  abstract readonly hint: string

  constructor(fields?: Readonly<Record<string, unknown>>) {
    super()
    if (fields === undefined) return
    for (const key of Object.keys(fields)) {
      const value = fields[key]
      if (key === "cause") {
        // as `new Error(message, { cause })` does it: kept, but not a field
        if (value !== undefined) Object.defineProperty(this, "cause", { value, writable: true, configurable: true })
      } else {
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true })
      }
    }
  }

  override get name(): string {
    return this._tag
  }

  /**
   * True for any krunbox error, including ones created by another copy of the package that
   * defined it.
   *
   * @since 0.1.0
   */
  static isInstance(u: unknown): u is KrunboxError {
    return typeof u === "object" && u !== null && Reflect.get(u, KrunboxErrorTypeId) === KrunboxErrorTypeId
  }

  /**
   * A JSON-able view: what the CLI's `--json` prints and the VM runner sends to its parent.
   * `stack` is left out on purpose (it is local to this process).
   */
  override toJSON(): KrunboxErrorJson {
    const json: Record<string, unknown> = { _tag: this._tag, message: this.message, hint: this.hint }
    const seen = new Set<object>([this])
    const fields = Object.entries(this)
    for (const [key, value] of fields) {
      if (!(key in json)) json[key] = toJsonValue(value, seen, 0)
    }
    // a cause that is also a field (e.g. the runner's report) is shown once
    const cause: unknown = this.cause
    if (cause !== undefined && !fields.some(([, value]) => value === cause)) json["cause"] = toJsonValue(cause, seen, 0)
    return json as KrunboxErrorJson
  }
}
Object.defineProperty(KrunboxError.prototype, KrunboxErrorTypeId, { value: KrunboxErrorTypeId })

const MAX_DEPTH = 8

/** A JSON value for anything an error may hold: bigints, nested errors, cycles, causes. */
const toJsonValue = (value: unknown, seen: Set<object>, depth: number): unknown => {
  switch (typeof value) {
    case "bigint":
      return value.toString()
    case "function":
    case "symbol":
    case "undefined":
      return undefined
    case "object":
      break
    default:
      return value
  }
  if (value === null) return null
  if (seen.has(value)) return "[Circular]"
  if (depth >= MAX_DEPTH) return "[Truncated]"
  if (KrunboxError.isInstance(value)) return value.toJSON()
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((item) => toJsonValue(item, seen, depth + 1) ?? null)
    if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
    const out: Record<string, unknown> = {}
    if (value instanceof Error) {
      // a foreign error (e.g. Node's ENOENT): its kind and text, then its own fields (code, path, ...)
      out["name"] = value.name
      out["message"] = value.message
    } else if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      return toJsonValue((value as { toJSON: () => unknown }).toJSON(), seen, depth + 1)
    }
    for (const [key, item] of Object.entries(value)) {
      const converted = toJsonValue(item, seen, depth + 1)
      if (converted !== undefined) out[key] = converted
    }
    if (value instanceof Error && value.cause !== undefined) out["cause"] = toJsonValue(value.cause, seen, depth + 1)
    return out
  } finally {
    seen.delete(value)
  }
}

/**
 * A {@link KrunboxError} class with a fixed `_tag` and its own `isInstance`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaggedErrorClass<Tag extends string> {
  new<A extends Record<string, any> = {}>(
    args: Types.VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P] }>
  ): KrunboxError & { readonly _tag: Tag } & Readonly<A>
  /** The `_tag` of this class's errors. */
  readonly tag: Tag
  /**
   * True for an error of this class (by the krunbox marker and the `_tag`), including one
   * created by another copy of the package that defined it.
   */
  isInstance<T>(this: abstract new(...args: any) => T, u: unknown): u is T
}

/**
 * Makes the base class of one krunbox error, as `Data.TaggedError` does for Effect: the fields
 * are the constructor's argument (a `cause` among them is kept as the error's `cause`).
 *
 * ```ts
 * class MemoryIsZero extends TaggedError("MemoryIsZero")<{ readonly memoryMib: 0 }> {
 *   override get message() { return `amount of memory is zero. ${this.hint}` }
 *   get hint() { return "Set memoryMib to at least 1 (the default is 1024)." }
 * }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const TaggedError = <Tag extends string>(tag: Tag): TaggedErrorClass<Tag> => {
  abstract class Tagged extends KrunboxError {
    readonly _tag: Tag = tag
    static readonly tag: Tag = tag
    static override isInstance(u: unknown): u is KrunboxError {
      return KrunboxError.isInstance(u) && u._tag === tag
    }
  }
  return Tagged as unknown as TaggedErrorClass<Tag>
}
