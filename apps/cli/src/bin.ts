import { main } from "./main.js"
import { shown } from "./cli/Output.js"

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // main() reports every failure it knows; reaching here is a bug in krunbox itself.
    process.stderr.write(`krunbox: internal error: ${shown(error instanceof Error ? String(error.stack) : String(error))}\n`)
    process.exitCode = 125
  }
)
