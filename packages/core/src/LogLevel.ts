/**
 * libkrun's log level: `Off`, `Error`, `Warn`, `Info`, `Debug`, `Trace` =
 * 0..5, as passed to `krun_set_log_level`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidLogLevel } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5

/**
 * @since 0.1.0
 * @category constants
 */
export const Off: LogLevel = 0
/**
 * @since 0.1.0
 * @category constants
 */
export const Error: LogLevel = 1
/**
 * @since 0.1.0
 * @category constants
 */
export const Warn: LogLevel = 2
/**
 * @since 0.1.0
 * @category constants
 */
export const Info: LogLevel = 3
/**
 * @since 0.1.0
 * @category constants
 */
export const Debug: LogLevel = 4
/**
 * @since 0.1.0
 * @category constants
 */
export const Trace: LogLevel = 5

/**
 * The default, as in the original: `Off`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLevel: LogLevel = Off

/**
 * Lower-case names indexed by level.
 *
 * @since 0.1.0
 * @category constants
 */
export const names = ["off", "error", "warn", "info", "debug", "trace"] as const

/**
 * @since 0.1.0
 * @category guards
 */
export const isLogLevel = (u: unknown): u is LogLevel =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= 5

/**
 * Converts a number, failing on anything but the integers 0..5 (the original's
 * `TryFrom<u8>`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromNumber = (n: number): Effect.Effect<LogLevel, InvalidLogLevel> =>
  isLogLevel(n) ? Effect.succeed(n) : Effect.fail(new InvalidLogLevel({ value: n }))

/**
 * Parses a name (`off`, `error`, `warn`, `info`, `debug`, `trace`, any case) or
 * a number `0`..`5`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<LogLevel, InvalidLogLevel> => {
  const byName = (names as ReadonlyArray<string>).indexOf(input.toLowerCase())
  if (byName >= 0) return Effect.succeed(byName as LogLevel)
  if (/^[0-5]$/.test(input)) return Effect.succeed(Number(input) as LogLevel)
  return Effect.fail(new InvalidLogLevel({ value: input }))
}

/**
 * The level's lower-case name; `parse(format(l))` gives `l` back.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (level: LogLevel): string => names[level]
