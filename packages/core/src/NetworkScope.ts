/**
 * Which addresses the guest may reach: `none`, `group` (its subnet),
 * `public` (non-private addresses) or `any`.
 *
 * The default is `none`: of the four scopes only `none` and `any` can be
 * enforced by every krunbox engine (libkrun 1.19 has no address filter for
 * TSI, so `group` and `public` exist only where an engine filters), and of
 * those two `none` is the one that never grants more than the user asked for.
 * See the package README.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidNetworkScope } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export type NetworkScope = "none" | "group" | "public" | "any"

/**
 * All scopes, in the original's numeric order (0..3).
 *
 * @since 0.1.0
 * @category constants
 */
export const scopes: ReadonlyArray<NetworkScope> = ["none", "group", "public", "any"]

/**
 * The default scope: `none` (the original defaulted to `public`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultScope: NetworkScope = "none"

/**
 * @since 0.1.0
 * @category guards
 */
export const isNetworkScope = (u: unknown): u is NetworkScope =>
  typeof u === "string" && (scopes as ReadonlyArray<string>).includes(u)

/**
 * Parses a scope name, case-insensitively, like the original.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<NetworkScope, InvalidNetworkScope> => {
  const lower = input.toLowerCase()
  return isNetworkScope(lower) ? Effect.succeed(lower) : Effect.fail(new InvalidNetworkScope({ input }))
}

/**
 * Converts the original's numeric form (0 none, 1 group, 2 public, 3 any).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromNumber = (n: number): Effect.Effect<NetworkScope, InvalidNetworkScope> => {
  const scope = Number.isInteger(n) ? scopes[n] : undefined
  return scope === undefined ? Effect.fail(new InvalidNetworkScope({ input: String(n) })) : Effect.succeed(scope)
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const format = (scope: NetworkScope): string => scope
