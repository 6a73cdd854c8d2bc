/**
 * A Linux resource limit for the workload: `RLIMIT_NOFILE=1024:2048`.
 *
 * The resource is a Linux name (`RLIMIT_NOFILE`, `NOFILE` or `nofile`) or its
 * numeric id on Linux x86-64 (`7`); limits are decimal `u64`s or
 * `unlimited`/`infinity` (`RLIM_INFINITY` = 2^64-1). libkrun takes the numeric
 * form, {@link toLibkrun}: `"7=1024:2048"`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidRlimitFormat, InvalidRlimitResource, InvalidRlimitValue } from "./errors.js"
import { limitValue, RLIMIT_INFINITY_VALUE, RLIMIT_NAMES, resourceId } from "./internal/rlimit.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LinuxRlimit {
  /** Numeric resource id on Linux x86-64 (`RLIMIT_NOFILE` is 7). */
  readonly resource: number
  /** Canonical name, e.g. `"RLIMIT_NOFILE"`. */
  readonly name: string
  readonly soft: bigint
  readonly hard: bigint
}

/**
 * Resource names by id, Linux x86-64 (`include/uapi/asm-generic/resource.h`).
 *
 * @since 0.1.0
 * @category constants
 */
export const resourceNames = RLIMIT_NAMES

/**
 * @since 0.1.0
 * @category models
 */
export type ResourceName = (typeof resourceNames)[number]

/**
 * `RLIM_INFINITY` on Linux: 2^64-1.
 *
 * @since 0.1.0
 * @category constants
 */
export const RLIM_INFINITY: bigint = RLIMIT_INFINITY_VALUE

/**
 * Looks up a resource by id (`7`, `"7"`) or name (`RLIMIT_NOFILE`, `NOFILE`,
 * `nofile`), giving its id.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseResource = (resource: string | number): Effect.Effect<number, InvalidRlimitResource> => {
  const id = resourceId(resource)
  return id === undefined
    ? Effect.fail(new InvalidRlimitResource({ resource: String(resource) }))
    : Effect.succeed(id)
}

/**
 * Parses one limit value: a decimal 0..2^64-1 or `unlimited`/`infinity`
 * (any case).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseValue = (text: string, field = "value"): Effect.Effect<bigint, InvalidRlimitValue> => {
  const value = limitValue(text)
  return value === undefined ? Effect.fail(new InvalidRlimitValue({ field, value: text })) : Effect.succeed(value)
}

/**
 * Builds a limit from a resource (id or name) and its soft and hard values.
 * Fails on an unknown resource or a value outside 0..2^64-1. (That soft must
 * not exceed hard is a validation rule.)
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  resource: string | number,
  soft: bigint | number | "unlimited",
  hard: bigint | number | "unlimited"
): Effect.Effect<LinuxRlimit, InvalidRlimitResource | InvalidRlimitValue> =>
  Effect.gen(function*() {
    const id = yield* parseResource(resource)
    const softValue = yield* toBigint(soft, "soft")
    const hardValue = yield* toBigint(hard, "hard")
    return { resource: id, name: resourceNames[id]!, soft: softValue, hard: hardValue }
  })

const toBigint = (value: bigint | number | "unlimited", field: string): Effect.Effect<bigint, InvalidRlimitValue> => {
  if (value === "unlimited") return Effect.succeed(RLIM_INFINITY)
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    return Effect.fail(new InvalidRlimitValue({ field, value: String(value) }))
  }
  const big = BigInt(value)
  return big >= 0n && big <= RLIM_INFINITY
    ? Effect.succeed(big)
    : Effect.fail(new InvalidRlimitValue({ field, value: String(value) }))
}

/**
 * Parses `RESOURCE=SOFT:HARD`, e.g. `RLIMIT_NOFILE=1024:2048`, `7=1024:2048`,
 * `nofile=1024:unlimited`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  input: string
): Effect.Effect<LinuxRlimit, InvalidRlimitFormat | InvalidRlimitResource | InvalidRlimitValue> => {
  const sides = input.split("=")
  if (sides.length !== 2) return Effect.fail(new InvalidRlimitFormat({ input }))
  const limits = sides[1]!.split(":")
  if (limits.length !== 2) return Effect.fail(new InvalidRlimitFormat({ input }))
  const id = resourceId(sides[0]!)
  if (id === undefined) return Effect.fail(new InvalidRlimitResource({ resource: sides[0]! }))
  const soft = limitValue(limits[0]!)
  if (soft === undefined) return Effect.fail(new InvalidRlimitValue({ field: "soft", value: limits[0]! }))
  const hard = limitValue(limits[1]!)
  if (hard === undefined) return Effect.fail(new InvalidRlimitValue({ field: "hard", value: limits[1]! }))
  return Effect.succeed({ resource: id, name: resourceNames[id]!, soft, hard })
}

const formatValue = (value: bigint): string => (value === RLIM_INFINITY ? "unlimited" : value.toString())

/**
 * Formats for people: `RLIMIT_NOFILE=1024:2048`, `unlimited` for
 * `RLIM_INFINITY`. `parse(format(r))` gives `r` back.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (rlimit: LinuxRlimit): string =>
  `${rlimit.name}=${formatValue(rlimit.soft)}:${formatValue(rlimit.hard)}`

/**
 * Formats for `krun_set_rlimits`: `ID=cur:max` in decimal, e.g. `7=1024:2048`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const toLibkrun = (rlimit: LinuxRlimit): string => `${rlimit.resource}=${rlimit.soft}:${rlimit.hard}`
