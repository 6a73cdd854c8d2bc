/**
 * Resource-limit lookups shared by the Rlimit module and validation.
 *
 * @internal
 */

/** Linux x86-64 resource names by id (`include/uapi/asm-generic/resource.h`). */
export const RLIMIT_NAMES = [
  "RLIMIT_CPU",
  "RLIMIT_FSIZE",
  "RLIMIT_DATA",
  "RLIMIT_STACK",
  "RLIMIT_CORE",
  "RLIMIT_RSS",
  "RLIMIT_NPROC",
  "RLIMIT_NOFILE",
  "RLIMIT_MEMLOCK",
  "RLIMIT_AS",
  "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING",
  "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE",
  "RLIMIT_RTPRIO",
  "RLIMIT_RTTIME"
] as const

/** `RLIM_INFINITY`: 2^64-1. */
export const RLIMIT_INFINITY_VALUE = 18446744073709551615n

/** The id of a resource given by id or name, or undefined. */
export const resourceId = (resource: string | number): number | undefined => {
  if (typeof resource === "number") {
    return Number.isInteger(resource) && resource >= 0 && resource < RLIMIT_NAMES.length ? resource : undefined
  }
  if (/^[0-9]{1,10}$/.test(resource)) return resourceId(Number(resource))
  const upper = resource.toUpperCase()
  const name = upper.startsWith("RLIMIT_") ? upper : `RLIMIT_${upper}`
  const id = (RLIMIT_NAMES as ReadonlyArray<string>).indexOf(name)
  return id >= 0 ? id : undefined
}

/** A limit value (decimal or unlimited/infinity), or undefined. */
export const limitValue = (text: string): bigint | undefined => {
  const lower = text.toLowerCase()
  if (lower === "unlimited" || lower === "infinity") return RLIMIT_INFINITY_VALUE
  if (!/^[0-9]+$/.test(text)) return undefined
  const value = BigInt(text)
  return value <= RLIMIT_INFINITY_VALUE ? value : undefined
}
