/**
 * Watches the L1's console for signs that it will never finish, so a wedged L1 ends in seconds
 * with the test that was running named, instead of at the harness's deadline with nothing named.
 *
 * Inside the L1, `run.sh` prints a heartbeat marker every {@link HEARTBEAT_SECONDS} s and a vitest
 * reporter prints a marker when each test starts and ends. On the host:
 *
 * - a guest kernel soft lockup that has lasted {@link WEDGED_LOCKUP_SECONDS} s (`watchdog: BUG:
 *   soft lockup - CPU#1 stuck for 49s!`) means an L1 CPU stopped scheduling: nothing in the L1,
 *   not even vitest's own timeouts, can run again;
 * - no heartbeat for `silenceMs` means L1 userspace stopped (every CPU wedged, or the kernel hung).
 *
 * @since 0.1.0
 */
import { parseMarker } from "./Qemu.js"

/**
 * How often the L1's userspace proves it is alive (seconds, L1 clock ≈ host clock).
 *
 * @since 0.1.0
 * @category constants
 */
export const HEARTBEAT_SECONDS = 20

/**
 * A soft lockup that has lasted this long is not a scheduling hiccup of a loaded host (those
 * report once, around the kernel's 20 s threshold): the CPU is stuck for good.
 *
 * @since 0.1.0
 * @category constants
 */
export const WEDGED_LOCKUP_SECONDS = 45

/**
 * Default for how long the L1 may stay silent (no heartbeat) before the harness gives up on it.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SILENCE_MS = 240_000

/**
 * Why the harness decided the L1 will never finish.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stall {
  /** One line: the soft lockup report, or how long userspace was silent. */
  readonly reason: string
  /** The test that had started and not finished, if any (`file > name`). */
  readonly runningTest: string | undefined
  /** The last test that finished, for context when none was running. */
  readonly lastFinishedTest: string | undefined
}

/**
 * Keeps what the console said about progress and judges whether the L1 is stuck.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProgressMonitor {
  /** Feeds one console line (already cleaned) seen at `nowMs`; returns a stall if it proves one. */
  readonly line: (text: string, nowMs: number) => Stall | undefined
  /** Periodic check at `nowMs`: a stall when userspace has been silent for too long. */
  readonly check: (nowMs: number) => Stall | undefined
  /** The test that had started and not finished, if any. */
  readonly runningTest: () => string | undefined
}

const LOCKUP = /soft lockup - (CPU#\d+) stuck for (\d+)s!(.*)$/

/**
 * A monitor that starts its silence clock at `startMs` and only once the L1 printed its first
 * heartbeat (the firmware and kernel boot before userspace can print any).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeProgressMonitor = (options: { readonly startMs: number; readonly silenceMs: number }): ProgressMonitor => {
  let lastHeartbeat: number | undefined
  let running: string | undefined
  let lastFinished: string | undefined
  const stall = (reason: string): Stall => ({ reason, runningTest: running, lastFinishedTest: lastFinished })
  return {
    line: (text, nowMs) => {
      const marker = parseMarker(text)
      if (marker !== undefined) {
        // any marker is a sign of life; heartbeat is the regular one
        lastHeartbeat = nowMs
        if (marker.stage === "test-start") running = marker.detail
        else if (marker.stage === "test-end") {
          // detail: "<state> <file> > <name>"
          lastFinished = marker.detail.slice(marker.detail.indexOf(" ") + 1)
          running = undefined
        }
        return undefined
      }
      const lockup = LOCKUP.exec(text)
      if (lockup !== null && Number(lockup[2]) >= WEDGED_LOCKUP_SECONDS) {
        return stall(`the L1 kernel reports ${lockup[1]} stuck for ${lockup[2]} s${(lockup[3] ?? "").trimEnd()} (soft lockup: that CPU no longer schedules, so nothing in the L1 can finish)`)
      }
      return undefined
    },
    check: (nowMs) => {
      const since = lastHeartbeat ?? options.startMs
      if (lastHeartbeat === undefined || nowMs - since < options.silenceMs) return undefined
      return stall(`no sign of life from L1 userspace for ${Math.round((nowMs - since) / 1000)} s (it prints a heartbeat every ${HEARTBEAT_SECONDS} s)`)
    },
    runningTest: () => running
  }
}

/**
 * Where the payload keeps the vitest reporter that marks each test's start and end.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROGRESS_REPORTER = "/krunbox-l1/progress-reporter.mjs"

/**
 * The reporter itself (vitest's reporter API, run in vitest's main process inside the L1): vitest's
 * verbose reporter prints a test when it finishes, which names nothing when a test never does.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROGRESS_REPORTER_SOURCE = `const name = (test) => \`\${test.module.relativeModuleId} > \${test.fullName.replace(/\\s+/g, " ")}\`
export default class ProgressReporter {
  onTestCaseReady(test) {
    process.stdout.write(\`krunbox-l1: test-start \${name(test)}\\n\`)
  }
  onTestCaseResult(test) {
    process.stdout.write(\`krunbox-l1: test-end \${test.result().state} \${name(test)}\\n\`)
  }
}
`
