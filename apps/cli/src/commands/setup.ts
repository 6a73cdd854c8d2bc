import { Setup } from "@krunbox/runtime"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { setupProgressPrinter } from "./progress.js"

/** `krunbox setup`: progress on stderr, the manifest as JSON on stdout with --json. */
export const setupCommand = async (parsed: Parsed): Promise<number> => {
  const started = performance.now()
  const manifest = await Setup.run({ force: has(parsed, "force"), onProgress: setupProgressPrinter() })
  if (has(parsed, "json")) {
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`)
  } else {
    process.stderr.write(`[setup] ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  }
  return 0
}
