import type { CommandSpec, FlagSpec } from "./Spec.js"
import { helpFlag } from "./Spec.js"

const flagLabel = (flag: FlagSpec): string => {
  const names = flag.alias === undefined ? `    --${flag.name}` : `-${flag.alias}, --${flag.name}`
  return flag.kind === "boolean" ? names : `${names} ${flag.metavar ?? "VALUE"}`
}

const flagText = (flag: FlagSpec): string => {
  const extra = [
    flag.kind === "repeated" ? "repeatable" : undefined,
    flag.defaultText !== undefined ? `default: ${flag.defaultText}` : undefined
  ].filter((part) => part !== undefined)
  return extra.length === 0 ? flag.description : `${flag.description} (${extra.join("; ")})`
}

/** Renders a command's `--help`: what it does, how to call it, every flag, and worked examples. */
export const renderCommandHelp = (spec: CommandSpec): string => {
  const flags = [...spec.flags, helpFlag]
  const width = Math.max(...flags.map((f) => flagLabel(f).length)) + 2
  const lines = [
    `${spec.summary}`,
    "",
    `Usage: ${spec.usage}`,
    ...(spec.description === undefined ? [] : ["", spec.description]),
    "",
    "Flags:",
    ...flags.map((f) => `  ${flagLabel(f).padEnd(width)}${flagText(f)}`),
    "",
    "Examples:",
    ...spec.examples.flatMap(([command, explanation]) => [`  # ${explanation}`, `  ${command}`, ""])
  ]
  return lines.join("\n").trimEnd() + "\n"
}

/** Renders `krunbox --help`: every command with its one-line summary. */
export const renderRootHelp = (commands: ReadonlyArray<CommandSpec>, version: string): string => {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2
  return [
    `krunbox ${version} — run workloads in hardware-isolated libkrun microVMs (gVisor as fallback)`,
    "",
    "Usage: krunbox COMMAND [FLAGS] [ARGS]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Run 'krunbox COMMAND --help' for a command's flags and examples.",
    "",
    "Quick start:",
    "  krunbox run -- /bin/echo hello        # boots a VM on the built-in busybox rootfs",
    "  krunbox doctor                        # what this host can run, and why",
    "",
    "Exit status: the workload's own status; 125 when krunbox itself fails (bad flag, missing",
    "runtime, VM could not start), as Docker does.",
    ""
  ].join("\n")
}
