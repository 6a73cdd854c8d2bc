/**
 * errno numbers to names and texts, for the host libkrun runs on (Linux and macOS number errnos
 * differently, so nothing here is hard-coded).
 */
import koffi from "koffi"
import { constants } from "node:os"
import { getSystemErrorMessage } from "node:util"

// Names that share a number on Linux; libkrun's own docs use the first of each pair.
const preferredAliases = new Set(["ENOTSUP", "EAGAIN", "EDEADLK"])

let namesByNumber: ReadonlyMap<number, string> | undefined

const names = (): ReadonlyMap<number, string> => {
  if (namesByNumber === undefined) {
    const map = new Map<number, string>()
    for (const [name, value] of Object.entries(constants.errno)) {
      if (!map.has(value) || preferredAliases.has(name)) map.set(value, name)
    }
    namesByNumber = map
  }
  return namesByNumber
}

/** `22` → `"EINVAL"`; an unknown number → `"E<n>"`. */
export const errnoName = (errno: number): string => names().get(errno) ?? `E${errno}`

/** The number of an errno name on this host, e.g. `"ENOENT"` → `2`. */
export const errnoNumber = (name: string): number | undefined => {
  const value: unknown = Reflect.get(constants.errno, name)
  return typeof value === "number" ? value : undefined
}

type Strerror = (errno: number) => string

let strerror: Strerror | null | undefined

const loadStrerror = (): Strerror | null => {
  try {
    // dlopen(NULL): the C library the process already uses, so the text matches the host's.
    const fn = koffi.load(null).func("const char *strerror(int errnum)")
    return (errno: number): string => {
      const text: unknown = fn(errno)
      return typeof text === "string" ? text : `errno ${errno}`
    }
  } catch {
    return null
  }
}

/** The C library's `strerror` text, falling back to libuv's when libc cannot be reached. */
export const errnoMessage = (errno: number): string => {
  if (strerror === undefined) strerror = loadStrerror()
  if (strerror !== null) return strerror(errno)
  try {
    return getSystemErrorMessage(-errno)
  } catch {
    return `errno ${errno}`
  }
}
