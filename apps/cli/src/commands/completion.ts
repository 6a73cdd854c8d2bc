import { completion } from "../cli/Completion.js"
import type { Parsed } from "../cli/Parser.js"
import type { CommandSpec } from "../cli/Spec.js"
import { UsageError } from "../cli/UsageError.js"

const shells = ["bash", "zsh", "fish"] as const

export const completionCommand = async (parsed: Parsed, specs: ReadonlyArray<CommandSpec>): Promise<number> => {
  const shell = parsed.operands[0]
  if (shell === undefined || !shells.includes(shell as (typeof shells)[number]) || parsed.operands.length > 1) {
    throw new UsageError("completion needs one shell name", parsed.operands.join(" ") || undefined, "Write: krunbox completion bash|zsh|fish")
  }
  process.stdout.write(completion(shell as (typeof shells)[number], specs))
  return 0
}
