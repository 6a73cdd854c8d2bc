/** Exit status for krunbox's own failures (Docker's convention). */
export const KRUNBOX_FAILURE = 125

interface Tagged {
  readonly _tag?: string
  readonly message?: string
  readonly hint?: unknown
  readonly problems?: ReadonlyArray<Tagged>
  readonly cause?: unknown
}

interface Problem {
  readonly _tag: string
  readonly message: string
}

const describe = (error: unknown): { tag: string; message: string; hint: string | undefined; problems: ReadonlyArray<Problem> } => {
  const tagged = (typeof error === "object" && error !== null ? error : { message: String(error) }) as Tagged
  const problems = (tagged.problems ?? (hasProblems(tagged.cause) ? tagged.cause.problems : [])).map((p) => ({
    _tag: p._tag ?? "Error",
    message: p.message ?? String(p)
  }))
  const message = tagged.message ?? String(error)
  // SDK errors keep the fix in `hint`; errors whose message already ends with it are not repeated
  const hint = typeof tagged.hint === "string" && tagged.hint !== "" && !message.includes(tagged.hint) ? tagged.hint : undefined
  return { tag: tagged._tag ?? "Error", message, hint, problems }
}

const hasProblems = (value: unknown): value is { problems: ReadonlyArray<Tagged> } =>
  typeof value === "object" && value !== null && Array.isArray((value as Tagged).problems)

/**
 * Prints a failure as the user should see it (one line per problem: tag and message, which names
 * the value and the fix) or, with --json, as one JSON document; returns 125.
 */
export const reportFailure = (error: unknown, json: boolean): number => {
  const { tag, message, hint, problems } = describe(error)
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { _tag: tag, message, ...(hint === undefined ? {} : { hint }), problems } })}\n`)
  } else if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`krunbox: ${problem.message} [${problem._tag}]\n`)
  } else {
    process.stderr.write(`krunbox: ${message} [${tag}]\n`)
    if (hint !== undefined) process.stderr.write(`krunbox: hint: ${hint}\n`)
  }
  return KRUNBOX_FAILURE
}
