import { Setup } from "@krunbox/sdk"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"

/**
 * `krunbox setup`: one progress line per step on stderr (long steps also show their latest
 * output line), the manifest as JSON on stdout with --json.
 */
export const setupCommand = async (parsed: Parsed): Promise<number> => {
  const started = performance.now()
  let lastProgressLine = 0
  const manifest = await Setup.run({
    force: has(parsed, "force"),
    onProgress: (event) => {
      if (event.status === "progress") {
        if (process.stderr.isTTY) {
          process.stderr.write(`\r\x1b[K  ${event.step}: ${truncate(event.detail ?? "")}`)
        } else if (performance.now() - lastProgressLine > 10_000) {
          // logs (CI) get a heartbeat every 10 s instead of every cargo/apt line
          lastProgressLine = performance.now()
          process.stderr.write(`[setup] ${event.step}: ${truncate(event.detail ?? "")}\n`)
        }
        return
      }
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[K")
      const mark = event.status === "start" ? "…" : event.status === "skip" ? "✓ cached" : event.status === "done" ? "✓" : event.status
      process.stderr.write(`[setup] ${event.step} ${mark}${event.detail === undefined ? "" : ` ${event.detail}`}\n`)
    }
  })
  if (has(parsed, "json")) {
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`)
  } else {
    process.stderr.write(`[setup] ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  }
  return 0
}

const truncate = (line: string): string => {
  const width = Math.max(20, (process.stderr.columns ?? 100) - 20)
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}
