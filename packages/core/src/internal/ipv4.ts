/**
 * IPv4 parsing shared by the Ipv4 module and validation.
 *
 * @internal
 */

/** The address as an unsigned 32-bit number, or undefined if malformed. */
export const toNumber = (input: string): number | undefined => {
  const parts = input.split(".")
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    // Decimal only, no leading zeros (they mean octal to some tools), as Rust's Ipv4Addr.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    value = value * 256 + octet
  }
  return value
}

/** The subnet of `ADDRESS[/PREFIX]`, or undefined if malformed. */
export const cidrFromString = (input: string): { readonly address: string; readonly prefix: number } | undefined => {
  const slash = input.indexOf("/")
  const addressText = slash < 0 ? input : input.slice(0, slash)
  if (toNumber(addressText) === undefined) return undefined
  if (slash < 0) return { address: addressText, prefix: 32 }
  const prefixText = input.slice(slash + 1)
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  return prefix <= 32 ? { address: addressText, prefix } : undefined
}
