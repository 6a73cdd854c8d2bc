import { type ArgumentSummary, TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("InvalidArgument")

/**
 * A value was refused before reaching C, because C would silently misread it (an integer out of
 * its C type's range, a string with a NUL byte, a MAC that is not 6 bytes, an array longer than
 * libkrun reads) or because the call would crash the process.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgument extends TaggedError<"InvalidArgument"> {
  readonly _tag = "InvalidArgument" as const
  /** The C function the value was meant for. */
  readonly function: string
  /** The C parameter name, e.g. `"num_vcpus"`. */
  readonly argument: string
  readonly value: ArgumentSummary
  /** What the parameter accepts. */
  readonly expected: string
  readonly hint: string

  constructor(fields: {
    readonly function: string
    readonly argument: string
    readonly value: ArgumentSummary
    readonly expected: string
    readonly hint?: string
  }) {
    const hint = fields.hint ?? `Pass ${fields.expected}.`
    super(
      `${fields.function}: argument ${fields.argument} = ${JSON.stringify(fields.value)} is invalid; expected ${fields.expected}. ${hint}`
    )
    this.function = fields.function
    this.argument = fields.argument
    this.value = fields.value
    this.expected = fields.expected
    this.hint = hint
  }

  override get name(): string {
    return "InvalidArgument"
  }

  /**
   * Whether `value` is an `InvalidArgument`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is InvalidArgument {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(InvalidArgument.prototype, marker, { value: true })
