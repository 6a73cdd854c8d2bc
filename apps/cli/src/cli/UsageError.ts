import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * A command line krunbox cannot act on: the offending value and how to fix it. The CLI prints it
 * as one line and exits with 125, Docker's code for "the tool failed, not the workload".
 */
export class UsageError extends TaggedError("UsageError")<{
  readonly problem: string
  readonly value: string | undefined
  readonly hint: string
}> {
  constructor(problem: string, value: string | undefined, hint: string) {
    super({ problem, value, hint })
  }

  override get message(): string {
    return `${this.problem}${this.value === undefined ? "" : `: ${JSON.stringify(this.value)}`}. ${this.hint}`
  }
}
