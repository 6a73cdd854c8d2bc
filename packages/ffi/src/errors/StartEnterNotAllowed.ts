import { TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("StartEnterNotAllowed")

/**
 * `krun_start_enter` was called without the explicit opt-in. It never returns on success: the
 * VMM takes over the process and `_exit`s it when the guest stops, so it may only run in a
 * process meant to die with the VM (the sdk's runner child).
 *
 * @since 0.1.0
 * @category errors
 */
export class StartEnterNotAllowed extends TaggedError<"StartEnterNotAllowed"> {
  readonly _tag = "StartEnterNotAllowed" as const
  readonly function = "krun_start_enter" as const
  readonly contextId: number
  readonly hint: string

  constructor(fields: { readonly contextId: number }) {
    const hint =
      "Pass { iUnderstandThisEndsTheProcess: true } as the second argument, and only in a process " +
      "whose sole purpose is to become the VM (e.g. the sdk's runner child)."
    super(`krun_start_enter(${fields.contextId}) refused: it ends the calling process. ${hint}`)
    this.contextId = fields.contextId
    this.hint = hint
  }

  override get name(): string {
    return "StartEnterNotAllowed"
  }

  /**
   * Whether `value` is a `StartEnterNotAllowed`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is StartEnterNotAllowed {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(StartEnterNotAllowed.prototype, marker, { value: true })
