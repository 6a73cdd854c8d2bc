/**
 * Declarative description of a command: its flags, its operands and its help text. The parser,
 * the help renderer and the shell completions are all derived from one spec, so they never
 * disagree.
 */
export type FlagKind = "boolean" | "string" | "repeated"

export interface FlagSpec {
  readonly name: string
  readonly alias?: string
  readonly kind: FlagKind
  readonly metavar?: string
  readonly description: string
  /** Fixed set of accepted values, checked by the parser and offered by completions. */
  readonly choices?: ReadonlyArray<string>
  readonly defaultText?: string
}

export interface CommandSpec {
  readonly name: string
  readonly summary: string
  readonly usage: string
  readonly description?: string
  readonly flags: ReadonlyArray<FlagSpec>
  /**
   * "command": everything from the first operand (or after `--`) is the workload's argv, and
   * `REF -- CMD...` names an image first.
   */
  readonly operands: "none" | "one" | "many" | "command"
  readonly examples: ReadonlyArray<readonly [command: string, explanation: string]>
}

export const helpFlag: FlagSpec = { name: "help", alias: "h", kind: "boolean", description: "Show this help" }
export const jsonFlag: FlagSpec = {
  name: "json",
  kind: "boolean",
  description: "Print one machine-readable JSON document on stdout instead of text"
}
