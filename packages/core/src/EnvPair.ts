/**
 * An environment variable for the workload: `KEY=VALUE`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidEnvPair } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface EnvPair {
  readonly key: string
  readonly value: string
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (key: string, value: string): EnvPair => ({ key, value })

/**
 * Parses `KEY=VALUE`, splitting at the first `=`; the value may be empty or
 * contain `=`. Fails without `=` or with an empty key, as the original. (Which
 * names the guest accepts is a validation rule, {@link isValidKey}.)
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<EnvPair, InvalidEnvPair> => {
  const eq = input.indexOf("=")
  if (eq <= 0) return Effect.fail(new InvalidEnvPair({ input }))
  return Effect.succeed(make(input.slice(0, eq), input.slice(eq + 1)))
}

/**
 * Formats as `KEY=VALUE`; `parse(format(e))` gives `e` back whenever the key
 * is non-empty and has no `=`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (pair: EnvPair): string => `${pair.key}=${pair.value}`

/**
 * Whether the guest kernel hands this name to init unchanged: letters, digits
 * and underscores, not starting with a digit. (The kernel treats names with a
 * `.` as module parameters and drops them.)
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValidKey = (key: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
