import type { CommandSpec, FlagSpec } from "./Spec.js"
import { helpFlag } from "./Spec.js"
import { UsageError } from "./UsageError.js"

export interface Parsed {
  readonly flags: ReadonlyMap<string, ReadonlyArray<string>>
  /** Plain operands; for a "command" spec, the workload's argv. */
  readonly operands: ReadonlyArray<string>
  /** For a "command" spec: an image reference written as `REF -- CMD...`. */
  readonly ref: string | undefined
}

/**
 * Parses `argv` against a spec. Like `docker run`, option parsing stops at the first operand
 * when the command takes a workload command line, so `krunbox run sh -c "echo hi"` hands `-c` to
 * the workload; `--` stops it explicitly.
 */
export const parse = (spec: CommandSpec, argv: ReadonlyArray<string>): Parsed => {
  const flags = new Map<string, Array<string>>()
  const operands: Array<string> = []
  const all = [...spec.flags, helpFlag]
  const byName = new Map<string, FlagSpec>()
  for (const flag of all) {
    byName.set(`--${flag.name}`, flag)
    if (flag.alias !== undefined) byName.set(`-${flag.alias}`, flag)
  }
  const stopsAtOperand = spec.operands === "command"
  let ref: string | undefined

  let i = 0
  while (i < argv.length) {
    const arg = argv[i]!
    if (arg === "--") {
      operands.push(...argv.slice(i + 1))
      break
    }
    if (arg.startsWith("-") && arg !== "-") {
      const eq = arg.startsWith("--") ? arg.indexOf("=") : -1
      const key = eq === -1 ? arg : arg.slice(0, eq)
      const exact = byName.get(key)
      const flag = exact ?? attachedShortFlag(byName, arg)
      if (flag === undefined) {
        throw new UsageError(`unknown flag for "krunbox ${spec.name}"`, key, suggest(key, all, spec.name))
      }
      let value: string
      if (flag.kind === "boolean") {
        if (eq !== -1) {
          const raw = arg.slice(eq + 1)
          if (raw !== "true" && raw !== "false") {
            throw new UsageError(`--${flag.name} is a switch and takes no value`, raw, `Write --${flag.name} alone`)
          }
          value = raw
        } else {
          value = "true"
        }
        i += 1
      } else if (eq !== -1) {
        value = arg.slice(eq + 1)
        i += 1
      } else if (exact === undefined) {
        value = arg.slice(2)
        i += 1
      } else {
        const next = argv[i + 1]
        if (next === undefined) {
          throw new UsageError(
            `${display(flag)} needs a value`,
            undefined,
            `Write ${display(flag)} ${flag.metavar ?? "VALUE"}; see "krunbox ${spec.name} --help"`
          )
        }
        value = next
        i += 2
      }
      if (flag.choices !== undefined && !flag.choices.includes(value)) {
        throw new UsageError(
          `invalid value for ${display(flag)}`,
          value,
          `Use one of: ${flag.choices.join(", ")}`
        )
      }
      const list = flags.get(flag.name) ?? []
      if (flag.kind !== "repeated") list.length = 0
      list.push(value)
      flags.set(flag.name, list)
      continue
    }
    if (stopsAtOperand) {
      if (argv[i + 1] === "--") {
        ref = arg
        operands.push(...argv.slice(i + 2))
      } else {
        operands.push(...argv.slice(i))
      }
      break
    }
    operands.push(arg)
    i += 1
  }
  return { flags, operands, ref }
}

/** `-v/host:/guest` style: a short flag with its value attached. */
const attachedShortFlag = (byName: ReadonlyMap<string, FlagSpec>, arg: string): FlagSpec | undefined => {
  if (arg.startsWith("--") || arg.length <= 2) return undefined
  const flag = byName.get(arg.slice(0, 2))
  return flag !== undefined && flag.kind !== "boolean" ? flag : undefined
}

const display = (flag: FlagSpec): string => `--${flag.name}`

const suggest = (key: string, flags: ReadonlyArray<FlagSpec>, command: string): string => {
  const bare = key.replace(/^-+/, "")
  const close = flags.find((f) => distance(f.name, bare) <= 2 || f.name.startsWith(bare))
  return close !== undefined
    ? `Did you mean --${close.name}? See "krunbox ${command} --help"`
    : `See "krunbox ${command} --help" for the flags it takes`
}

const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

export const flag = (parsed: Parsed, name: string): string | undefined => parsed.flags.get(name)?.at(-1)
export const flags = (parsed: Parsed, name: string): ReadonlyArray<string> => parsed.flags.get(name) ?? []
export const has = (parsed: Parsed, name: string): boolean => flag(parsed, name) === "true"
