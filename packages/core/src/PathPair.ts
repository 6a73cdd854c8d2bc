/**
 * A host directory shared into the guest: `host:guest`, or a single `path`
 * for the same path on both sides (Docker's volume convention), optionally
 * followed by `:ro` (read-only in the guest) or `:rw` (writable, the default).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidMountMode, InvalidPathPair } from "./errors.js"

/**
 * `readOnly` is set (true) only for a read-only share; absent means writable.
 *
 * @since 0.1.0
 * @category models
 */
export interface PathPair {
  readonly host: string
  readonly guest: string
  readonly readOnly?: true
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (host: string, guest: string, readOnly = false): PathPair =>
  readOnly ? { host, guest, readOnly: true } : { host, guest }

/**
 * The same path on host and guest.
 *
 * @since 0.1.0
 * @category constructors
 */
export const same = (path: string, readOnly = false): PathPair => make(path, path, readOnly)

const modes: Readonly<Record<string, boolean>> = { ro: true, rw: false }

/**
 * Parses `host:guest`, `path`, `host:guest:ro|rw` or `path:ro|rw`: split at
 * the first `:`; a further `:` ends the guest path and starts the mode, which
 * must be `ro` or `rw` ({@link InvalidMountMode} otherwise: a guest path never
 * silently ends in `:ro`). Fails on an empty string or an empty side, as the
 * original.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<PathPair, InvalidPathPair | InvalidMountMode> => {
  if (input.length === 0) return Effect.fail(new InvalidPathPair({ input }))
  const colon = input.indexOf(":")
  if (colon < 0) return Effect.succeed(same(input))
  const host = input.slice(0, colon)
  let guest = input.slice(colon + 1)
  let readOnly = false
  const last = guest.lastIndexOf(":")
  if (last >= 0) {
    const mode = guest.slice(last + 1)
    const known = modes[mode]
    if (known === undefined) return Effect.fail(new InvalidMountMode({ input, mode }))
    readOnly = known
    guest = guest.slice(0, last)
  } else if (guest in modes) {
    // `path:ro`: the same path on both sides, with a mode
    readOnly = modes[guest]!
    guest = host
  }
  if (host.length === 0 || guest.length === 0) return Effect.fail(new InvalidPathPair({ input }))
  return Effect.succeed(make(host, guest, readOnly))
}

/**
 * Formats as `host:guest` (also when both are the same, as the original),
 * with `:ro` for a read-only share, and `:rw` where the guest path would
 * otherwise read as a mode. `parse(format(p))` gives `p` back whenever the host
 * path has no `:`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (pair: PathPair): string => {
  const mode = pair.readOnly === true ? ":ro" : pair.guest.includes(":") || pair.guest in modes ? ":rw" : ""
  return `${pair.host}:${pair.guest}${mode}`
}
