/**
 * A host directory shared into the guest: `host:guest`, or a single `path`
 * for the same path on both sides (Docker's volume convention).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidPathPair } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PathPair {
  readonly host: string
  readonly guest: string
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (host: string, guest: string): PathPair => ({ host, guest })

/**
 * The same path on host and guest.
 *
 * @since 0.1.0
 * @category constructors
 */
export const same = (path: string): PathPair => ({ host: path, guest: path })

/**
 * Parses `host:guest` (split at the first `:`) or `path`. Fails on an empty
 * string or an empty side, as the original.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<PathPair, InvalidPathPair> => {
  if (input.length === 0) return Effect.fail(new InvalidPathPair({ input }))
  const colon = input.indexOf(":")
  if (colon < 0) return Effect.succeed(same(input))
  const host = input.slice(0, colon)
  const guest = input.slice(colon + 1)
  if (host.length === 0 || guest.length === 0) return Effect.fail(new InvalidPathPair({ input }))
  return Effect.succeed(make(host, guest))
}

/**
 * Formats as `host:guest` (also when both are the same, as the original).
 * `parse(format(p))` gives `p` back whenever the host path has no `:`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (pair: PathPair): string => `${pair.host}:${pair.guest}`
