/** Exit status for krunbox's own failures (Docker's convention). */
export const KRUNBOX_FAILURE = 125

interface Tagged {
  readonly _tag?: string
  readonly message?: string
  readonly problems?: ReadonlyArray<Tagged>
  readonly cause?: unknown
}

interface Problem {
  readonly _tag: string
  readonly message: string
}

const describe = (error: unknown): { tag: string; message: string; problems: ReadonlyArray<Problem> } => {
  const tagged = (typeof error === "object" && error !== null ? error : { message: String(error) }) as Tagged
  const problems = (tagged.problems ?? (hasProblems(tagged.cause) ? tagged.cause.problems : [])).map((p) => ({
    _tag: p._tag ?? "Error",
    message: p.message ?? String(p)
  }))
  return { tag: tagged._tag ?? "Error", message: tagged.message ?? String(error), problems }
}

const hasProblems = (value: unknown): value is { problems: ReadonlyArray<Tagged> } =>
  typeof value === "object" && value !== null && Array.isArray((value as Tagged).problems)

/**
 * Prints a failure as the user should see it (one line per problem: tag and message, which names
 * the value and the fix) or, with --json, as one JSON document; returns 125.
 */
export const reportFailure = (error: unknown, json: boolean): number => {
  const { tag, message, problems } = describe(error)
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { _tag: tag, message, problems } })}\n`)
  } else if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`krunbox: ${problem.message} [${problem._tag}]\n`)
  } else {
    process.stderr.write(`krunbox: ${message} [${tag}]\n`)
  }
  return KRUNBOX_FAILURE
}
