#!/usr/bin/env node
/**
 * `krunbox-layers [ROOT]`: fails (exit 1) when a workspace package depends on, or imports, a
 * package above it (docs/architecture.md, "Layers"). ROOT defaults to the checkout this tool is in.
 *
 * @since 0.1.0
 */
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { checkWorkspace, format } from "./Check.js"

const root = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."))
const violations = checkWorkspace(root)
if (violations.length === 0) {
  process.stdout.write(`layers: ok (${root})\n`)
} else {
  process.stderr.write(`layers: ${violations.length} dependenc${violations.length === 1 ? "y points" : "ies point"} the wrong way:\n`)
  for (const violation of violations) process.stderr.write(`  ${format(violation)}\n`)
  process.stderr.write("The layers (tooling/layers/src/Rules.ts): core ← ffi ← guest ← image, runtime ← sdk ← cli, examples; image uses core only.\n")
  process.exitCode = 1
}
