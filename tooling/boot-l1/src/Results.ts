/**
 * Vitest's JSON report (what the L1 writes) turned into per-test outcomes on the host.
 *
 * @since 0.1.0
 */

/**
 * One test as it ran inside the L1.
 *
 * @since 0.1.0
 * @category models
 */
export interface TestOutcome {
  readonly file: string
  readonly name: string
  readonly status: "passed" | "failed" | "skipped" | "todo"
  /** Wall time inside the L1 (emulated CPU), as vitest measured it. */
  readonly durationMs: number | undefined
  readonly failureMessages: ReadonlyArray<string>
}

/**
 * The outcome of one step's vitest run.
 *
 * @since 0.1.0
 * @category models
 */
export interface SuiteOutcome {
  readonly success: boolean
  readonly tests: ReadonlyArray<TestOutcome>
  /** Files that failed to load or run as a whole (vitest's file-level message). */
  readonly fileErrors: ReadonlyArray<{ readonly file: string; readonly message: string }>
}

interface JsonAssertion {
  readonly fullName?: unknown
  readonly status?: unknown
  readonly duration?: unknown
  readonly failureMessages?: unknown
}

interface JsonFile {
  readonly name?: unknown
  readonly status?: unknown
  readonly message?: unknown
  readonly assertionResults?: ReadonlyArray<JsonAssertion>
}

const normaliseStatus = (status: unknown): TestOutcome["status"] => {
  switch (status) {
    case "passed":
      return "passed"
    case "skipped":
    case "pending":
    case "disabled":
      return "skipped"
    case "todo":
      return "todo"
    default:
      return "failed"
  }
}

/**
 * Parses vitest's JSON reporter output. Unknown or malformed fields degrade to a failed test
 * rather than being dropped, so a broken report never reads as success.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseVitestJson = (text: string, stripPrefix = ""): SuiteOutcome => {
  const report = JSON.parse(text) as { readonly success?: unknown; readonly testResults?: ReadonlyArray<JsonFile> }
  const tests: Array<TestOutcome> = []
  const fileErrors: Array<{ file: string; message: string }> = []
  for (const file of report.testResults ?? []) {
    const fileName = typeof file.name === "string" ? file.name.replace(stripPrefix, "") : "?"
    if (file.status === "failed" && typeof file.message === "string" && file.message !== "") {
      fileErrors.push({ file: fileName, message: file.message })
    }
    for (const assertion of file.assertionResults ?? []) {
      tests.push({
        file: fileName,
        name: typeof assertion.fullName === "string" ? assertion.fullName : "?",
        status: normaliseStatus(assertion.status),
        durationMs: typeof assertion.duration === "number" ? Math.round(assertion.duration) : undefined,
        failureMessages: Array.isArray(assertion.failureMessages) ? assertion.failureMessages.map(String) : []
      })
    }
  }
  return { success: report.success === true && fileErrors.length === 0, tests, fileErrors }
}

const seconds = (ms: number | undefined): string => (ms === undefined ? "    -  " : `${(ms / 1000).toFixed(1).padStart(6)}s`)

/**
 * A plain-text table of outcomes: status, wall time inside the L1, file and test name.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatOutcomes = (tests: ReadonlyArray<TestOutcome>): string =>
  tests
    .map((test) => `${test.status.padEnd(7)} ${seconds(test.durationMs)}  ${test.file} > ${test.name}`)
    .join("\n")

/**
 * Why a set of outcomes does not count as a pass, or an empty list when it does.
 *
 * Inside the L1, `/dev/kvm` is a real KVM, so the tests matching `required` (the full-boot ones)
 * must run and pass: a skipped one means a probe misjudged the host, and none at all means the
 * selection is wrong. Other skips (tests meant for another kind of host, e.g. PVM-only ones) are
 * listed but do not fail the run. `required` undefined turns the check off.
 *
 * @since 0.1.0
 * @category formatting
 */
export const verdict = (suite: SuiteOutcome, required: RegExp | undefined): ReadonlyArray<string> => {
  const problems: Array<string> = []
  for (const error of suite.fileErrors) problems.push(`${error.file}: ${error.message}`)
  for (const test of suite.tests) {
    if (test.status === "failed") problems.push(`failed: ${test.file} > ${test.name}\n${test.failureMessages.join("\n")}`)
    if (test.status === "skipped" && required?.test(test.name) === true) {
      problems.push(`skipped inside the L1, where /dev/kvm is a real KVM: ${test.file} > ${test.name}`)
    }
  }
  if (required !== undefined && !suite.tests.some((test) => required.test(test.name))) {
    problems.push(`no test matching ${String(required)} ran (they are the point of the L1)`)
  }
  if (!suite.tests.some((test) => test.status === "passed")) problems.push("no test passed inside the L1")
  if (!suite.success && problems.length === 0) problems.push("vitest reported failure")
  return problems
}
