/**
 * libkrunfw, the guest kernel packaged as a shared object. libkrun `dlopen`s it by SONAME
 * (`libkrunfw.so.5`) at its first `krun_create_ctx`; loading it here by absolute path first makes
 * that `dlopen` find this copy, wherever it lives.
 *
 * @since 0.1.0
 */
import { type DiscoveryOptions, discover } from "./Discovery.js"
import { SymbolNotAvailable } from "./errors/SymbolNotAvailable.js"
import { LIBKRUNFW_FUNCTIONS, type LibkrunfwFunctionName } from "./Functions.js"
import { toBigint } from "./internal/convert.js"
import { type NativeFunction, bindFunction, koffiLoader } from "./internal/native.js"
import { LoadedLibrary } from "./internal/LoadedLibrary.js"
import { detectVersion } from "./internal/version.js"

/**
 * Where the guest kernel image sits in memory, as `krunfw_get_kernel` reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface KrunfwKernel {
  /** Host address of the kernel image inside libkrunfw's data. */
  readonly hostAddress: bigint
  /** Guest physical address to load the image at. */
  readonly loadAddress: bigint
  /** Guest address of the kernel entry point. */
  readonly entryAddress: bigint
  /** Size of the image in bytes. */
  readonly size: number
}

const koffiPrototypes: Record<LibkrunfwFunctionName, string> = {
  krunfw_get_version: LIBKRUNFW_FUNCTIONS.krunfw_get_version.prototype,
  // void * rather than char *: koffi would otherwise decode the kernel image as a C string.
  krunfw_get_kernel:
    "void *krunfw_get_kernel(_Out_ size_t *load_addr, _Out_ size_t *entry_addr, _Out_ size_t *size)"
}

/**
 * A loaded libkrunfw.
 *
 * @since 0.1.0
 * @category models
 */
export class LibkrunfwLibrary extends LoadedLibrary {
  readonly #functions = new Map<LibkrunfwFunctionName, NativeFunction>()

  #resolve(name: LibkrunfwFunctionName): NativeFunction {
    const cached = this.#functions.get(name)
    if (cached !== undefined) return cached
    try {
      const fn = bindFunction(this.handle, koffiPrototypes[name])
      this.#functions.set(name, fn)
      return fn
    } catch (cause) {
      throw new SymbolNotAvailable({
        function: name,
        library: "libkrunfw",
        libraryPath: this.path,
        libraryVersion: this.version,
        since: undefined,
        providedBy: "every libkrunfw release",
        reason: cause instanceof Error ? cause.message : String(cause),
        hint: "This file is not a working libkrunfw: run `krunbox setup` to install the one krunbox is tested with."
      })
    }
  }

  /**
   * `krunfw_get_version()`: the libkrunfw ABI version (`5` for libkrunfw 5.x), which is also the
   * SONAME's major.
   *
   * @since 0.1.0
   */
  getVersion(): number {
    const version: unknown = this.#resolve("krunfw_get_version")()
    return typeof version === "number" ? version : Number.NaN
  }

  /**
   * `krunfw_get_kernel(&load_addr, &entry_addr, &size)`: where the bundled kernel image is.
   *
   * @since 0.1.0
   */
  getKernel(): KrunfwKernel {
    const loadAddress: Array<unknown> = [null]
    const entryAddress: Array<unknown> = [null]
    const size: Array<unknown> = [null]
    const hostAddress = this.#resolve("krunfw_get_kernel")(loadAddress, entryAddress, size)
    return {
      hostAddress: toBigint(hostAddress),
      loadAddress: toBigint(loadAddress[0]),
      entryAddress: toBigint(entryAddress[0]),
      size: Number(toBigint(size[0]))
    }
  }
}

const loaded = new Map<string, LibkrunfwLibrary>()

/**
 * Options of `Libkrunfw.load`: discovery inputs, with `path` naming libkrunfw itself.
 *
 * @since 0.1.0
 * @category models
 */
export type LibkrunfwLoadOptions = DiscoveryOptions

const load = (options: LibkrunfwLoadOptions = {}): LibkrunfwLibrary => {
  const found = discover("libkrunfw", options, koffiLoader("libkrunfw", "krunfw_get_kernel"))
  const existing = loaded.get(found.realPath)
  if (existing !== undefined) return existing
  const version = detectVersion("libkrunfw", found.realPath, found.manifest)
  const library = new LibkrunfwLibrary({
    handle: found.handle,
    path: found.path,
    realPath: found.realPath,
    source: found.source,
    version: version?.version,
    versionSource: version?.source,
    probes: found.probes
  })
  loaded.set(found.realPath, library)
  return library
}

/**
 * Entry point for libkrunfw.
 *
 * @example
 * ```ts
 * import { Libkrunfw } from "@krunbox/ffi"
 * const fw = Libkrunfw.load()
 * console.log(fw.path, fw.version, fw.getVersion(), fw.getKernel().size)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Libkrunfw = {
  /**
   * Finds and loads libkrunfw (see `Discovery`); loading the same file again returns the same
   * instance. Throws `LibraryNotFound` listing every probe.
   *
   * @since 0.1.0
   */
  load,
  /**
   * The bound functions and their prototypes.
   *
   * @since 0.1.0
   */
  functions: LIBKRUNFW_FUNCTIONS
} as const
