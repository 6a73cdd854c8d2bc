/**
 * A command line krunbox cannot act on: the offending value and how to fix it. The CLI prints it
 * as one line and exits with 125, Docker's code for "the tool failed, not the workload".
 */
export class UsageError extends Error {
  readonly _tag = "UsageError"
  constructor(
    readonly problem: string,
    readonly value: string | undefined,
    readonly hint: string
  ) {
    super(`${problem}${value === undefined ? "" : `: ${JSON.stringify(value)}`}. ${hint}`)
    this.name = "UsageError"
  }
}
