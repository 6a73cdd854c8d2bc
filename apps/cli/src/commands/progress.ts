import type { Setup } from "@krunbox/runtime"
import { shown } from "../cli/Output.js"

const truncate = (line: string): string => {
  const width = Math.max(20, (process.stderr.columns ?? 100) - 20)
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}

/**
 * Prints native-runtime setup progress on stderr: one line per step; the latest cargo/apt line
 * in place on a terminal, a heartbeat every 10 s otherwise (CI logs).
 */
export const setupProgressPrinter = (): Setup.ProgressListener => {
  let lastHeartbeat = 0
  return (event) => {
    if (event.status === "progress") {
      if (process.stderr.isTTY) {
        process.stderr.write(`\r\x1b[K  ${event.step}: ${truncate(shown(event.detail ?? ""))}`)
      } else if (performance.now() - lastHeartbeat > 10_000) {
        lastHeartbeat = performance.now()
        process.stderr.write(`[setup] ${event.step}: ${truncate(shown(event.detail ?? ""))}\n`)
      }
      return
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K")
    const mark = event.status === "start" ? "…" : event.status === "skip" ? "✓ cached" : event.status === "done" ? "✓" : event.status
    process.stderr.write(`[setup] ${event.step} ${mark}${event.detail === undefined ? "" : ` ${shown(event.detail)}`}\n`)
  }
}
