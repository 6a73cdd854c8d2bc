import { renderCommandHelp, renderRootHelp } from "./cli/Help.js"
import { has, parse } from "./cli/Parser.js"
import type { CommandSpec } from "./cli/Spec.js"
import { UsageError } from "./cli/UsageError.js"
import { completionCommand } from "./commands/completion.js"
import { doctorCommand } from "./commands/doctor.js"
import { imagesCommand } from "./commands/images.js"
import { pruneCommand } from "./commands/prune.js"
import { pullCommand } from "./commands/pull.js"
import { reportFailure } from "./commands/report.js"
import { rmiCommand } from "./commands/rmi.js"
import { runCommand } from "./commands/run.js"
import { setupCommand } from "./commands/setup.js"
import { systemCommand } from "./commands/system.js"
import { completionSpec, doctorSpec, imagesSpec, pruneSpec, pullSpec, rmiSpec, runSpec, setupSpec, systemSpec, versionSpec } from "./commands/specs.js"
import { krunboxVersion, versionCommand } from "./commands/version.js"
import type { Parsed } from "./cli/Parser.js"

interface Command {
  readonly spec: CommandSpec
  readonly handler: (parsed: Parsed) => Promise<number>
}

const commands: ReadonlyArray<Command> = [
  { spec: runSpec, handler: runCommand },
  { spec: pullSpec, handler: pullCommand },
  { spec: imagesSpec, handler: imagesCommand },
  { spec: rmiSpec, handler: rmiCommand },
  { spec: pruneSpec, handler: pruneCommand },
  { spec: systemSpec, handler: systemCommand },
  { spec: setupSpec, handler: setupCommand },
  { spec: doctorSpec, handler: doctorCommand },
  { spec: versionSpec, handler: versionCommand },
  { spec: completionSpec, handler: (parsed) => completionCommand(parsed, commands.map((c) => c.spec)) }
]

/** Runs the CLI and resolves to the process exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(renderRootHelp(commands.map((c) => c.spec), krunboxVersion))
    return name === undefined ? 125 : 0
  }
  if (name === "--version") return versionCommand(parse(versionSpec, []))
  const command = commands.find((c) => c.spec.name === name)
  try {
    if (command === undefined) {
      throw new UsageError("unknown command", name, `Commands: ${commands.map((c) => c.spec.name).join(", ")}; see "krunbox --help"`)
    }
    const parsed = parse(command.spec, rest)
    if (has(parsed, "help")) {
      process.stdout.write(renderCommandHelp(command.spec))
      return 0
    }
    return await command.handler(parsed)
  } catch (error) {
    return reportFailure(error, has(safeParse(command?.spec, rest), "json"))
  }
}

const safeParse = (spec: CommandSpec | undefined, argv: ReadonlyArray<string>): Parsed => {
  try {
    return spec === undefined ? emptyParse : parse(spec, argv)
  } catch {
    return emptyParse
  }
}
const emptyParse: Parsed = { flags: new Map(), operands: [], ref: undefined }
