/**
 * IPv4 addresses (`10.0.0.2`) and subnets in CIDR notation (`10.0.0.0/24`).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidCidr, InvalidIpv4 } from "./errors.js"
import { cidrFromString, toNumber } from "./internal/ipv4.js"

/**
 * A dotted-quad IPv4 address in canonical form.
 *
 * @since 0.1.0
 * @category models
 */
export type Ipv4 = string

/**
 * An IPv4 subnet.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cidr {
  readonly address: Ipv4
  /** 0..32 */
  readonly prefix: number
}

/**
 * Parses a dotted-quad address: four decimal numbers 0..255 without leading
 * zeros.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Effect.Effect<Ipv4, InvalidIpv4> =>
  toNumber(input) === undefined ? Effect.fail(new InvalidIpv4({ input })) : Effect.succeed(input)

/**
 * @since 0.1.0
 * @category formatting
 */
export const format = (ip: Ipv4): string => ip

/**
 * Parses `ADDRESS/PREFIX` (prefix 0..32); a lone address means `/32`, as
 * ipnetwork's `Ipv4Network` in the original. Host bits may be set
 * (`10.0.0.1/24`), again as the original.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCidr = (input: string): Effect.Effect<Cidr, InvalidCidr> => {
  const cidr = cidrFromString(input)
  return cidr === undefined ? Effect.fail(new InvalidCidr({ input })) : Effect.succeed(cidr)
}

/**
 * Formats as `ADDRESS/PREFIX`; `parseCidr(formatCidr(c))` gives `c` back.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatCidr = (cidr: Cidr): string => `${cidr.address}/${cidr.prefix}`

/**
 * Whether `ip` lies inside `cidr`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const contains = (cidr: Cidr, ip: Ipv4): boolean => {
  const network = toNumber(cidr.address)
  const address = toNumber(ip)
  if (network === undefined || address === undefined) return false
  if (cidr.prefix === 0) return true
  const mask = (0xffffffff << (32 - cidr.prefix)) >>> 0
  return ((network & mask) >>> 0) === ((address & mask) >>> 0)
}
