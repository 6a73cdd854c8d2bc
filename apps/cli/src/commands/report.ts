import { KrunboxError } from "@krunbox/core/KrunboxError"
import { jsonText, shownMessage } from "../cli/Output.js"

/** Exit status for krunbox's own failures (Docker's convention). */
export const KRUNBOX_FAILURE = 125

interface Problem {
  readonly _tag: string
  readonly message: string
}

/**
 * A failure's JSON form: a krunbox error's own `toJSON()` (its fields, `hint`, `cause`); anything
 * else can only be a bug in krunbox, shown by its name and text.
 */
export const errorJson = (error: unknown): Record<string, unknown> =>
  KrunboxError.isInstance(error)
    ? error.toJSON()
    : { _tag: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) }

// InvalidMicroVmConfig lists its problems; an image run's late validation failure is its cause
const problemsOf = (error: unknown): ReadonlyArray<Problem> => {
  for (const candidate of [error, KrunboxError.isInstance(error) ? error.cause : undefined]) {
    if (KrunboxError.isInstance(candidate) && "problems" in candidate && Array.isArray(candidate.problems)) {
      return (candidate.problems as ReadonlyArray<KrunboxError>).map(({ _tag, message }) => ({ _tag, message }))
    }
  }
  return []
}

/**
 * Prints a failure as the user should see it (one line per problem: tag and message, which names
 * the value and the fix) or, with --json, as one JSON document; returns 125.
 */
export const reportFailure = (error: unknown, json: boolean): number => {
  const problems = problemsOf(error)
  if (json) {
    // an InvalidMicroVmConfig's own JSON lists its problems in full
    process.stdout.write(`${jsonText({ error: { problems, ...errorJson(error) } })}\n`)
    return KRUNBOX_FAILURE
  }
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`krunbox: ${shownMessage(problem.message)} [${shownMessage(problem._tag)}]\n`)
    return KRUNBOX_FAILURE
  }
  const { _tag, message } = errorJson(error) as { readonly _tag: string; readonly message: string }
  process.stderr.write(`krunbox: ${shownMessage(message)} [${shownMessage(_tag)}]\n`)
  // errors whose message already ends with the fix do not repeat it
  const hint = KrunboxError.isInstance(error) ? error.hint : ""
  if (hint !== "" && !message.includes(hint)) process.stderr.write(`krunbox: hint: ${shownMessage(hint)}\n`)
  return KRUNBOX_FAILURE
}
