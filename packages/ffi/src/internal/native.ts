/**
 * koffi glue shared by the libkrun and libkrunfw loaders: loading a candidate, and asking the C
 * library (`dladdr`) which file a library loaded by bare name came from.
 */
import koffi from "koffi"
import type { Loader } from "../Discovery.js"

export type LibraryHandle = ReturnType<typeof koffi.load>

/** A koffi function, typed at the boundary: arguments are the converted C values, the result is checked by the caller. */
export type NativeFunction = (...args: ReadonlyArray<unknown>) => unknown

export const bindFunction = (handle: LibraryHandle, prototype: string): NativeFunction => {
  const fn: unknown = handle.func(prototype)
  if (typeof fn !== "function") throw new TypeError(`koffi returned no function for ${prototype}`)
  return (...args) => Reflect.apply(fn, undefined, args)
}

let dladdr: NativeFunction | null | undefined

const loadDladdr = (): NativeFunction | null => {
  try {
    const info = koffi.struct({
      dli_fname: "const char *",
      dli_fbase: "void *",
      dli_sname: "const char *",
      dli_saddr: "void *"
    })
    const fn: unknown = koffi.load(null).func("dladdr", "int", ["void *", koffi.out(koffi.pointer(info))])
    if (typeof fn !== "function") return null
    return (...args) => Reflect.apply(fn, undefined, args)
  } catch {
    return null
  }
}

/** The file that defines `symbol` in `handle`, or `undefined` when the C library cannot tell. */
export const fileDefining = (handle: LibraryHandle, symbol: string): string | undefined => {
  if (dladdr === undefined) dladdr = loadDladdr()
  if (dladdr === null) return undefined
  try {
    const address: unknown = handle.symbol(symbol)
    if (typeof address !== "bigint" || address === 0n) return undefined
    const info: Record<string, unknown> = {}
    if (dladdr(address, info) === 0) return undefined
    const file = info["dli_fname"]
    return typeof file === "string" && file !== "" ? file : undefined
  } catch {
    return undefined
  }
}

const exports = (handle: LibraryHandle, symbol: string): boolean => {
  try {
    const address: unknown = handle.symbol(symbol)
    return typeof address === "bigint" && address !== 0n
  } catch {
    return false
  }
}

/** Loads with koffi; `identitySymbol` is a function every version of the library exports. */
export const koffiLoader = (library: string, identitySymbol: string): Loader<LibraryHandle> => ({
  load: (candidate) => koffi.load(candidate),
  locate: (handle) => fileDefining(handle, identitySymbol),
  verify: (handle) =>
    exports(handle, identitySymbol) ? undefined : `not ${library}: it does not export ${identitySymbol}`
})
