/**
 * A TCP port forwarded from the host to the guest: `host:guest`, or a single
 * `port` for the same number on both sides.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidPortPair } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PortPair {
  readonly host: number
  readonly guest: number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (host: number, guest: number): PortPair => ({ host, guest })

/**
 * The same port on host and guest.
 *
 * @since 0.1.0
 * @category constructors
 */
export const same = (port: number): PortPair => ({ host: port, guest: port })

const parsePort = (text: string): number | undefined => {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined
  const port = Number(text)
  return port <= 65535 ? port : undefined
}

/**
 * Parses `host:guest` or `port`, each a decimal 0..65535 (the original's
 * `u16`; validation later rejects port 0).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<PortPair, InvalidPortPair> => {
  const parts = input.split(":")
  if (parts.length === 1) {
    const port = parsePort(input)
    return port === undefined ? Effect.fail(new InvalidPortPair({ input })) : Effect.succeed(same(port))
  }
  if (parts.length !== 2) return Effect.fail(new InvalidPortPair({ input }))
  const host = parsePort(parts[0]!)
  const guest = parsePort(parts[1]!)
  if (host === undefined || guest === undefined) return Effect.fail(new InvalidPortPair({ input }))
  return Effect.succeed(make(host, guest))
}

/**
 * Formats as `host:guest`, the form `krun_set_port_map` takes.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (pair: PortPair): string => `${pair.host}:${pair.guest}`
