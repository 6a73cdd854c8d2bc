import { TaggedError } from "@krunbox/core/KrunboxError"
import type { ArgumentSummary } from "../internal/convert.js"

/**
 * A value was refused before reaching C, because C would silently misread it (an integer out of
 * its C type's range, a string with a NUL byte, a MAC that is not 6 bytes, an array longer than
 * libkrun reads) or because the call would crash the process.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgument extends TaggedError("InvalidArgument")<{
  /** The C function the value was meant for. */
  readonly function: string
  /** The C parameter name, e.g. `"num_vcpus"`. */
  readonly argument: string
  readonly value: ArgumentSummary
  /** What the parameter accepts. */
  readonly expected: string
  readonly hint: string
}> {
  constructor(fields: {
    readonly function: string
    readonly argument: string
    readonly value: ArgumentSummary
    readonly expected: string
    /** Defaults to "Pass <expected>." */
    readonly hint?: string
  }) {
    super({ ...fields, hint: fields.hint ?? `Pass ${fields.expected}.` })
  }

  override get message(): string {
    return `${this.function}: argument ${this.argument} = ${JSON.stringify(this.value)} is invalid; expected ${this.expected}. ${this.hint}`
  }
}
