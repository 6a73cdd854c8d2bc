/**
 * libkrun 1.19's C API, one typed method per function. The methods are raw: they add no policy,
 * only what keeps the process alive and the values exact (see `internal/convert.ts`), and they
 * throw typed errors instead of returning `-errno`.
 *
 * @since 0.1.0
 */
import {
  KrunFeature,
  KrunFeatureCargoName,
  type KrunFeatureId,
  type KrunFeatureName,
  KrunLogOption,
  KrunLogStyle
} from "./Constants.js"
import { type DiscoveryOptions, discover } from "./Discovery.js"
import { LoadedLibrary } from "./internal/LoadedLibrary.js"
import { InvalidArgument } from "./errors/InvalidArgument.js"
import { KrunError } from "./errors/KrunError.js"
import { LibkrunfwPreloadTooLate } from "./errors/LibkrunfwPreloadTooLate.js"
import { LibraryNotFound } from "./errors/LibraryNotFound.js"
import { LoggerAlreadyInitialized } from "./errors/LoggerAlreadyInitialized.js"
import { StartEnterNotAllowed } from "./errors/StartEnterNotAllowed.js"
import { SymbolNotAvailable } from "./errors/SymbolNotAvailable.js"
import { LIBKRUN_FUNCTIONS, type LibkrunFunctionName, type SymbolRequirement } from "./Functions.js"
import {
  type CStringInput,
  type MacAddress,
  type PinnedBytes,
  bool,
  byteBuffer,
  cString,
  cStringArray,
  copyFromPointer,
  int32,
  macAddress,
  nullableCString,
  nullableCStringArray,
  pinBytes,
  summarize,
  toBigint,
  uint16,
  uint32,
  uint64,
  uint8
} from "./internal/convert.js"
import { errnoNumber } from "./internal/errno.js"
import { type NativeFunction, bindFunction, koffiLoader } from "./internal/native.js"
import { koffiPrototype } from "./internal/prototypes.js"
import { checkReturnCode } from "./internal/returnCode.js"
import { compareVersions, detectVersion } from "./internal/version.js"
import { Libkrunfw, type LibkrunfwLibrary } from "./Libkrunfw.js"

export type { CStringInput, MacAddress } from "./internal/convert.js"

declare const ContextIdBrand: unique symbol

/**
 * A configuration context id returned by `createCtx`.
 *
 * @since 0.1.0
 * @category models
 */
export type ContextId = number & { readonly [ContextIdBrand]: true }

/**
 * The explicit opt-in `startEnter` requires.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartEnterConsent {
  readonly iUnderstandThisEndsTheProcess: true
}

/**
 * Options of `Libkrun.load`. Discovery options apply to libkrun (`path` names libkrun); libkrunfw
 * is discovered with the same `env`, `cacheDir`, `systemDirectories` and `searchLoaderPath`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LibkrunLoadOptions extends DiscoveryOptions {
  /** Load exactly this libkrunfw. */
  readonly libkrunfwPath?: string
  /**
   * `"required"` (default): fail with `LibraryNotFound` when libkrunfw cannot be found, since
   * libkrun cannot boot its bundled kernel without it. `"ifPresent"`: carry on without it (for
   * inspection, or when every VM uses `setKernel`/`setFirmware`).
   */
  readonly libkrunfw?: "required" | "ifPresent"
}

interface ContextState {
  readonly pinned: Array<PinnedBytes>
  portMapSet: boolean
}

type LoggerFunction = "krun_set_log_level" | "krun_init_log"

const featureSpelling = (name: KrunFeatureName): string =>
  `"${KrunFeatureCargoName[name]}" (KRUN_FEATURE_${KrunFeatureCargoName[name].toUpperCase().replace(/-/g, "_")})`

const providedBy = (requires: SymbolRequirement | undefined, since: string): string => {
  const parts: Array<string> = [`libkrun >= ${since}`]
  for (const feature of requires?.features ?? []) parts.push(`built with ${featureSpelling(feature)}`)
  for (const feature of requires?.absentFeatures ?? []) parts.push(`built without ${featureSpelling(feature)}`)
  if (requires?.platforms !== undefined) parts.push(`on ${requires.platforms.join(" or ")}`)
  return parts.join(", ")
}

/**
 * A loaded libkrun. Obtain one with `Libkrun.load()`.
 *
 * Every method is named after its C function (`krun_set_vm_config` → `setVmConfig`), takes the
 * C parameters in order (a buffer's size parameter is derived from the buffer), returns the
 * function's value where it has one, and throws:
 * - `KrunError` when libkrun returns `-errno`;
 * - `SymbolNotAvailable` when this build does not export the function;
 * - `InvalidArgument` when a value would be misread by C or crash the process.
 *
 * C strings accept a `string` (sent as UTF-8) or a `Uint8Array` (sent as raw bytes).
 *
 * @since 0.1.0
 * @category models
 */
export class LibkrunLibrary extends LoadedLibrary {
  readonly #functions = new Map<LibkrunFunctionName, NativeFunction | SymbolNotAvailable>()
  readonly #contexts = new Map<number, ContextState>()
  readonly #features = new Map<KrunFeatureName, boolean | undefined>()
  #libkrunfw: LibkrunfwLibrary | undefined
  #contextCreated = false
  #loggerInitializedBy: LoggerFunction | undefined

  /** The libkrunfw preloaded for this libkrun, if any. */
  get libkrunfw(): LibkrunfwLibrary | undefined {
    return this.#libkrunfw
  }

  /** Which call installed libkrun's process-global logger, if one did through these bindings. */
  get loggerInitializedBy(): LoggerFunction | undefined {
    return this.#loggerInitializedBy
  }

  /** @internal Preloads libkrunfw so libkrun's later dlopen by SONAME finds it. */
  attachLibkrunfw(libkrunfw: LibkrunfwLibrary): void {
    if (this.#libkrunfw !== undefined) return
    if (this.#contextCreated) throw new LibkrunfwPreloadTooLate({ libkrunPath: this.path })
    this.#libkrunfw = libkrunfw
  }

  // ---- symbol resolution -------------------------------------------------------------------

  #featureEnabled(name: KrunFeatureName): boolean | undefined {
    if (!this.#features.has(name)) {
      let enabled: boolean | undefined
      try {
        const fn = this.#resolve("krun_has_feature")
        const result: unknown = fn(BigInt(KrunFeature[name]))
        enabled = result === 1 ? true : result === 0 ? false : undefined
      } catch {
        enabled = undefined
      }
      this.#features.set(name, enabled)
    }
    return this.#features.get(name)
  }

  #unavailable(name: LibkrunFunctionName, cause: unknown): SymbolNotAvailable {
    const declaration = LIBKRUN_FUNCTIONS[name]
    const requires = declaration.requires
    const reasons: Array<string> = []
    const rebuildWith: Array<string> = []
    for (const feature of requires?.features ?? []) {
      if (this.#featureEnabled(feature) === false) {
        reasons.push(`this build lacks ${featureSpelling(feature)}: krun_has_feature reports 0`)
        rebuildWith.push(KrunFeatureCargoName[feature])
      }
    }
    for (const feature of requires?.absentFeatures ?? []) {
      if (this.#featureEnabled(feature) === true) reasons.push(`this build has ${featureSpelling(feature)}`)
    }
    if (requires?.platforms !== undefined && !requires.platforms.includes(process.platform)) {
      reasons.push(`this host is ${process.platform}`)
    }
    if (this.version !== undefined && compareVersions(this.version, declaration.since) < 0) {
      reasons.push(`this library is libkrun ${this.version}, older than ${declaration.since}`)
    }
    if (reasons.length === 0) {
      reasons.push(
        `the loader reports "${cause instanceof Error ? cause.message : String(cause)}" although the build ` +
          `features allow it (an older or patched libkrun?)`
      )
    }
    const hint =
      rebuildWith.length > 0
        ? `Rebuild libkrun with --features ${rebuildWith.join(",")}; \`krunbox setup\` builds libkrun 1.19.0 with blk,net.`
        : "Use a libkrun build that provides it; `krunbox setup` builds libkrun 1.19.0 with blk,net."
    return new SymbolNotAvailable({
      function: name,
      library: "libkrun",
      libraryPath: this.path,
      libraryVersion: this.version,
      since: declaration.since,
      providedBy: providedBy(requires, declaration.since),
      reason: reasons.join("; "),
      hint
    })
  }

  #resolve(name: LibkrunFunctionName): NativeFunction {
    let entry = this.#functions.get(name)
    if (entry === undefined) {
      try {
        entry = bindFunction(this.handle, koffiPrototype(name))
      } catch (cause) {
        // Explaining may resolve krun_has_feature, which has no requirements: no recursion.
        entry = this.#unavailable(name, cause)
      }
      this.#functions.set(name, entry)
    }
    if (entry instanceof SymbolNotAvailable) throw entry
    return entry
  }

  /**
   * Whether this build exports `name`. Resolves the symbol (lazily, once); never throws.
   *
   * @since 0.1.0
   */
  isAvailable(name: LibkrunFunctionName): boolean {
    try {
      this.#resolve(name)
      return true
    } catch {
      return false
    }
  }

  /**
   * The `SymbolNotAvailable` that calling `name` would throw, or `undefined` if it is exported.
   *
   * @since 0.1.0
   */
  unavailableReason(name: LibkrunFunctionName): SymbolNotAvailable | undefined {
    try {
      this.#resolve(name)
      return undefined
    } catch (error) {
      if (SymbolNotAvailable.isInstance(error)) return error
      throw error
    }
  }

  #invoke(
    name: LibkrunFunctionName,
    original: ReadonlyArray<unknown>,
    convert: () => ReadonlyArray<unknown>
  ): number {
    const fn = this.#resolve(name)
    return checkReturnCode(name, fn(...convert()), original)
  }

  #state(ctx: number): ContextState {
    let state = this.#contexts.get(ctx)
    if (state === undefined) {
      state = { pinned: [], portMapSet: false }
      this.#contexts.set(ctx, state)
    }
    return state
  }

  #forget(ctx: number): void {
    const state = this.#contexts.get(ctx)
    if (state === undefined) return
    for (const pinned of state.pinned) pinned.release()
    this.#contexts.delete(ctx)
  }

  // ---- logging -----------------------------------------------------------------------------

  #guardLogger(fn: LoggerFunction): void {
    if (this.#loggerInitializedBy !== undefined) {
      throw new LoggerAlreadyInitialized({
        function: fn,
        initializedBy: this.#loggerInitializedBy,
        libraryPath: this.path
      })
    }
  }

  /**
   * `krun_set_log_level`: installs libkrun's logger at `level` (a `KrunLogLevel`). Once per
   * process: a second call (or one after `initLog`) throws `LoggerAlreadyInitialized` instead
   * of letting libkrun abort the process.
   *
   * @since 0.1.0
   */
  setLogLevel(level: number): void {
    const fn = "krun_set_log_level"
    this.#guardLogger(fn)
    this.#invoke(fn, [level], () => [uint32(fn, "level", level)])
    this.#loggerInitializedBy = fn
  }

  /**
   * `krun_init_log`: installs libkrun's logger writing to `targetFd` (`KrunLogTarget.Default`,
   * 1, 2, or an fd >= 3 that libkrun then owns), at `level`, with `style` (`KrunLogStyle`) and
   * `options` (0 or `KrunLogOption.NoEnv`). Once per process, like `setLogLevel`. `style` and
   * `options` are checked before the call, because libkrun closes `targetFd` when it refuses them.
   *
   * @since 0.1.0
   */
  initLog(targetFd: number, level: number, style: number, options: number): void {
    const fn = "krun_init_log"
    this.#guardLogger(fn)
    const styles: ReadonlyArray<number> = Object.values(KrunLogStyle)
    if (!styles.includes(style)) {
      throw new InvalidArgument({
        function: fn,
        argument: "style",
        value: summarize(style),
        expected: "a KrunLogStyle value (0, 1 or 2)",
        hint: "libkrun would refuse it with EINVAL after taking ownership of target_fd, closing it."
      })
    }
    if (options !== 0 && options !== KrunLogOption.NoEnv) {
      throw new InvalidArgument({
        function: fn,
        argument: "options",
        value: summarize(options),
        expected: "0 or KrunLogOption.NoEnv (1)",
        hint: "libkrun would refuse it with EINVAL after taking ownership of target_fd, closing it."
      })
    }
    this.#invoke(fn, [targetFd, level, style, options], () => [
      int32(fn, "target_fd", targetFd),
      uint32(fn, "level", level),
      uint32(fn, "style", style),
      uint32(fn, "options", options)
    ])
    this.#loggerInitializedBy = fn
  }

  // ---- contexts ----------------------------------------------------------------------------

  /**
   * `krun_create_ctx`: a new configuration context.
   *
   * @since 0.1.0
   */
  createCtx(): ContextId {
    const ctx = this.#invoke("krun_create_ctx", [], () => [])
    this.#contextCreated = true
    return ctx as ContextId
  }

  /**
   * `krun_free_ctx`: frees a context and the memory these bindings keep alive for it (overlay
   * file contents). Throws `KrunError` ENOENT for an unknown context (after releasing that memory,
   * e.g. for a context consumed by a failed `startEnter`).
   *
   * @since 0.1.0
   */
  freeCtx(ctx: ContextId): void {
    const fn = "krun_free_ctx"
    try {
      this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
      this.#forget(ctx)
    } catch (error) {
      if (KrunError.isInstance(error) && error.errno === errnoNumber("ENOENT")) this.#forget(ctx)
      throw error
    }
  }

  /**
   * `krun_set_vm_config`: vCPUs (1..255) and RAM in MiB.
   *
   * @since 0.1.0
   */
  setVmConfig(ctx: ContextId, numVcpus: number, ramMib: number): void {
    const fn = "krun_set_vm_config"
    this.#invoke(fn, [ctx, numVcpus, ramMib], () => [
      uint32(fn, "ctx_id", ctx),
      uint8(fn, "num_vcpus", numVcpus),
      uint32(fn, "ram_mib", ramMib)
    ])
  }

  /**
   * `krun_set_root`: the host directory that becomes the guest's root (virtiofs tag
   * `KRUN_FS_ROOT_TAG`).
   *
   * @since 0.1.0
   */
  setRoot(ctx: ContextId, rootPath: CStringInput): void {
    const fn = "krun_set_root"
    this.#invoke(fn, [ctx, rootPath], () => [uint32(fn, "ctx_id", ctx), cString(fn, "root_path", rootPath)])
  }

  /**
   * `krun_set_root_disk` (deprecated by libkrun: use `addDisk`).
   *
   * @since 0.1.0
   */
  setRootDisk(ctx: ContextId, diskPath: CStringInput): void {
    const fn = "krun_set_root_disk"
    this.#invoke(fn, [ctx, diskPath], () => [uint32(fn, "ctx_id", ctx), cString(fn, "disk_path", diskPath)])
  }

  /**
   * `krun_set_data_disk` (deprecated by libkrun: use `addDisk`).
   *
   * @since 0.1.0
   */
  setDataDisk(ctx: ContextId, diskPath: CStringInput): void {
    const fn = "krun_set_data_disk"
    this.#invoke(fn, [ctx, diskPath], () => [uint32(fn, "ctx_id", ctx), cString(fn, "disk_path", diskPath)])
  }

  /**
   * `krun_add_disk`: a raw disk image as block device `blockId`.
   *
   * @since 0.1.0
   */
  addDisk(ctx: ContextId, blockId: CStringInput, diskPath: CStringInput, readOnly: boolean): void {
    const fn = "krun_add_disk"
    this.#invoke(fn, [ctx, blockId, diskPath, readOnly], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "block_id", blockId),
      cString(fn, "disk_path", diskPath),
      bool(fn, "read_only", readOnly)
    ])
  }

  /**
   * `krun_add_disk2`: a disk image in `diskFormat` (`KrunDiskFormat`). Never hand libkrun a
   * non-raw image from an untrusted source (see libkrun.h's security note).
   *
   * @since 0.1.0
   */
  addDisk2(ctx: ContextId, blockId: CStringInput, diskPath: CStringInput, diskFormat: number, readOnly: boolean): void {
    const fn = "krun_add_disk2"
    this.#invoke(fn, [ctx, blockId, diskPath, diskFormat, readOnly], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "block_id", blockId),
      cString(fn, "disk_path", diskPath),
      uint32(fn, "disk_format", diskFormat),
      bool(fn, "read_only", readOnly)
    ])
  }

  /**
   * `krun_add_disk3`: `addDisk2` plus direct I/O and a `KrunSyncMode`.
   *
   * @since 0.1.0
   */
  addDisk3(
    ctx: ContextId,
    blockId: CStringInput,
    diskPath: CStringInput,
    diskFormat: number,
    readOnly: boolean,
    directIo: boolean,
    syncMode: number
  ): void {
    const fn = "krun_add_disk3"
    this.#invoke(fn, [ctx, blockId, diskPath, diskFormat, readOnly, directIo, syncMode], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "block_id", blockId),
      cString(fn, "disk_path", diskPath),
      uint32(fn, "disk_format", diskFormat),
      bool(fn, "read_only", readOnly),
      bool(fn, "direct_io", directIo),
      uint32(fn, "sync_mode", syncMode)
    ])
  }

  /**
   * `krun_set_mapped_volumes`: no longer supported by libkrun (always `EINVAL` in 1.19); bound
   * for completeness.
   *
   * @since 0.1.0
   */
  setMappedVolumes(ctx: ContextId, mappedVolumes: ReadonlyArray<CStringInput>): void {
    const fn = "krun_set_mapped_volumes"
    this.#invoke(fn, [ctx, mappedVolumes], () => [
      uint32(fn, "ctx_id", ctx),
      cStringArray(fn, "mapped_volumes", mappedVolumes)
    ])
  }

  /**
   * `krun_add_virtiofs`: shares host directory `path` as virtiofs `tag`.
   *
   * @since 0.1.0
   */
  addVirtiofs(ctx: ContextId, tag: CStringInput, path: CStringInput): void {
    const fn = "krun_add_virtiofs"
    this.#invoke(fn, [ctx, tag, path], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "c_tag", tag),
      cString(fn, "c_path", path)
    ])
  }

  /**
   * `krun_add_virtiofs2`: `addVirtiofs` with a DAX window of `shmSize` bytes.
   *
   * @since 0.1.0
   */
  addVirtiofs2(ctx: ContextId, tag: CStringInput, path: CStringInput, shmSize: number | bigint): void {
    const fn = "krun_add_virtiofs2"
    this.#invoke(fn, [ctx, tag, path, shmSize], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "c_tag", tag),
      cString(fn, "c_path", path),
      uint64(fn, "shm_size", shmSize)
    ])
  }

  /**
   * `krun_add_virtiofs3`: `addVirtiofs2` plus read-only; `path = null` makes a virtual-only
   * filesystem (overlay entries, no host directory).
   *
   * @since 0.1.0
   */
  addVirtiofs3(
    ctx: ContextId,
    tag: CStringInput,
    path: CStringInput | null,
    shmSize: number | bigint,
    readOnly: boolean
  ): void {
    const fn = "krun_add_virtiofs3"
    this.#invoke(fn, [ctx, tag, path, shmSize, readOnly], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "c_tag", tag),
      nullableCString(fn, "c_path", path),
      uint64(fn, "shm_size", shmSize),
      bool(fn, "read_only", readOnly)
    ])
  }

  // ---- networking --------------------------------------------------------------------------

  /**
   * `krun_add_net_unixstream`: a virtio-net device backed by a unix stream proxy (passt,
   * socket_vmnet). Give `path` with `fd = -1`, or `path = null` with an open `fd`.
   *
   * @since 0.1.0
   */
  addNetUnixstream(
    ctx: ContextId,
    path: CStringInput | null,
    fd: number,
    mac: MacAddress,
    features: number,
    flags: number
  ): void {
    const fn = "krun_add_net_unixstream"
    this.#invoke(fn, [ctx, path, fd, mac, features, flags], () => [
      uint32(fn, "ctx_id", ctx),
      nullableCString(fn, "c_path", path),
      int32(fn, "fd", fd),
      macAddress(fn, "c_mac", mac),
      uint32(fn, "features", features),
      uint32(fn, "flags", flags)
    ])
  }

  /**
   * `krun_add_net_unixgram`: a virtio-net device backed by a unix datagram proxy (gvproxy,
   * vmnet-helper). Give `path` with `fd = -1`, or `path = null` with an open `fd`.
   *
   * @since 0.1.0
   */
  addNetUnixgram(
    ctx: ContextId,
    path: CStringInput | null,
    fd: number,
    mac: MacAddress,
    features: number,
    flags: number
  ): void {
    const fn = "krun_add_net_unixgram"
    this.#invoke(fn, [ctx, path, fd, mac, features, flags], () => [
      uint32(fn, "ctx_id", ctx),
      nullableCString(fn, "c_path", path),
      int32(fn, "fd", fd),
      macAddress(fn, "c_mac", mac),
      uint32(fn, "features", features),
      uint32(fn, "flags", flags)
    ])
  }

  /**
   * `krun_add_net_tap`: a virtio-net device on tap interface `tapName` (Linux).
   *
   * @since 0.1.0
   */
  addNetTap(ctx: ContextId, tapName: CStringInput, mac: MacAddress, features: number, flags: number): void {
    const fn = "krun_add_net_tap"
    this.#invoke(fn, [ctx, tapName, mac, features, flags], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "c_tap_name", tapName),
      macAddress(fn, "c_mac", mac),
      uint32(fn, "features", features),
      uint32(fn, "flags", flags)
    ])
  }

  /**
   * `krun_set_passt_fd` (deprecated by libkrun: use `addNetUnixstream`).
   *
   * @since 0.1.0
   */
  setPasstFd(ctx: ContextId, fd: number): void {
    const fn = "krun_set_passt_fd"
    this.#invoke(fn, [ctx, fd], () => [uint32(fn, "ctx_id", ctx), int32(fn, "fd", fd)])
  }

  /**
   * `krun_set_gvproxy_path` (deprecated by libkrun: use `addNetUnixgram`).
   *
   * @since 0.1.0
   */
  setGvproxyPath(ctx: ContextId, path: CStringInput): void {
    const fn = "krun_set_gvproxy_path"
    this.#invoke(fn, [ctx, path], () => [uint32(fn, "ctx_id", ctx), cString(fn, "c_path", path)])
  }

  /**
   * `krun_set_net_mac`: the MAC of the legacy passt/gvproxy device.
   *
   * @since 0.1.0
   */
  setNetMac(ctx: ContextId, mac: MacAddress): void {
    const fn = "krun_set_net_mac"
    this.#invoke(fn, [ctx, mac], () => [uint32(fn, "ctx_id", ctx), macAddress(fn, "c_mac", mac)])
  }

  /**
   * `krun_set_port_map`: `"host_port:guest_port"` entries exposed through TSI. An empty array
   * exposes no port; `null` means libkrun's default, every listening guest port.
   *
   * libkrun 1.19 crashes (SIGSEGV) when actually passed NULL, although its header documents NULL;
   * the default is what a context has before any port map is set, so `null` is a no-op on such a
   * context and is refused (`InvalidArgument`) once a port map was set on it.
   *
   * @since 0.1.0
   */
  setPortMap(ctx: ContextId, portMap: ReadonlyArray<CStringInput> | null): void {
    const fn = "krun_set_port_map"
    if (portMap === null) {
      uint32(fn, "ctx_id", ctx)
      if (this.#contexts.get(ctx)?.portMapSet === true) {
        throw new InvalidArgument({
          function: fn,
          argument: "port_map",
          value: null,
          expected: "an array of \"host:guest\" entries",
          hint:
            "This context already has a port map and libkrun 1.19 cannot reset it to \"all ports\" (it crashes on " +
            "NULL): create a new context instead."
        })
      }
      return
    }
    this.#invoke(fn, [ctx, portMap], () => [uint32(fn, "ctx_id", ctx), cStringArray(fn, "port_map", portMap)])
    this.#state(ctx).portMapSet = true
  }

  // ---- gpu, display, input, sound ----------------------------------------------------------

  /**
   * `krun_set_gpu_options`: enables virtio-gpu with `KrunVirglFlag` bits.
   *
   * @since 0.1.0
   */
  setGpuOptions(ctx: ContextId, virglFlags: number): void {
    const fn = "krun_set_gpu_options"
    this.#invoke(fn, [ctx, virglFlags], () => [uint32(fn, "ctx_id", ctx), uint32(fn, "virgl_flags", virglFlags)])
  }

  /**
   * `krun_set_gpu_options2`: `setGpuOptions` with a host window of `shmSize` bytes.
   *
   * @since 0.1.0
   */
  setGpuOptions2(ctx: ContextId, virglFlags: number, shmSize: number | bigint): void {
    const fn = "krun_set_gpu_options2"
    this.#invoke(fn, [ctx, virglFlags, shmSize], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "virgl_flags", virglFlags),
      uint64(fn, "shm_size", shmSize)
    ])
  }

  /**
   * `krun_add_display`: returns the display id (0..15). `ENOTSUP` without the gpu feature.
   *
   * @since 0.1.0
   */
  addDisplay(ctx: ContextId, width: number, height: number): number {
    const fn = "krun_add_display"
    return this.#invoke(fn, [ctx, width, height], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "width", width),
      uint32(fn, "height", height)
    ])
  }

  /**
   * `krun_display_set_edid`: a custom EDID blob (copied by libkrun).
   *
   * @since 0.1.0
   */
  displaySetEdid(ctx: ContextId, displayId: number, edid: Uint8Array): void {
    const fn = "krun_display_set_edid"
    this.#invoke(fn, [ctx, displayId, edid], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "display_id", displayId),
      byteBuffer(fn, "edid_blob", edid),
      edid.byteLength
    ])
  }

  /**
   * `krun_display_set_dpi`.
   *
   * @since 0.1.0
   */
  displaySetDpi(ctx: ContextId, displayId: number, dpi: number): void {
    const fn = "krun_display_set_dpi"
    this.#invoke(fn, [ctx, displayId, dpi], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "display_id", displayId),
      uint32(fn, "dpi", dpi)
    ])
  }

  /**
   * `krun_display_set_physical_size`, in millimetres.
   *
   * @since 0.1.0
   */
  displaySetPhysicalSize(ctx: ContextId, displayId: number, widthMm: number, heightMm: number): void {
    const fn = "krun_display_set_physical_size"
    this.#invoke(fn, [ctx, displayId, widthMm, heightMm], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "display_id", displayId),
      uint16(fn, "width_mm", widthMm),
      uint16(fn, "height_mm", heightMm)
    ])
  }

  /**
   * `krun_display_set_refresh_rate`, in Hz.
   *
   * @since 0.1.0
   */
  displaySetRefreshRate(ctx: ContextId, displayId: number, refreshRate: number): void {
    const fn = "krun_display_set_refresh_rate"
    this.#invoke(fn, [ctx, displayId, refreshRate], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "display_id", displayId),
      uint32(fn, "refresh_rate", refreshRate)
    ])
  }

  /**
   * `krun_set_display_backend`: `displayBackend` holds the bytes of a `struct
   * krun_display_backend` (see `libkrun_display.h`); libkrun copies the struct, but the function
   * pointers inside it must stay valid for the VM's life. `ENOTSUP` without the gpu feature.
   *
   * @since 0.1.0
   */
  setDisplayBackend(ctx: ContextId, displayBackend: Uint8Array): void {
    const fn = "krun_set_display_backend"
    this.#invoke(fn, [ctx, displayBackend], () => [
      uint32(fn, "ctx_id", ctx),
      byteBuffer(fn, "display_backend", displayBackend),
      displayBackend.byteLength
    ])
  }

  /**
   * `krun_add_input_device`: the bytes of a `struct krun_input_config` and a `struct
   * krun_input_event_provider` (see `libkrun_input.h`). `ENOTSUP` without the input feature.
   *
   * @since 0.1.0
   */
  addInputDevice(ctx: ContextId, configBackend: Uint8Array, eventsBackend: Uint8Array): void {
    const fn = "krun_add_input_device"
    this.#invoke(fn, [ctx, configBackend, eventsBackend], () => [
      uint32(fn, "ctx_id", ctx),
      byteBuffer(fn, "config_backend", configBackend),
      configBackend.byteLength,
      byteBuffer(fn, "events_backend", eventsBackend),
      eventsBackend.byteLength
    ])
  }

  /**
   * `krun_add_input_device_fd`: passes a host `/dev/input/*` fd through. `ENOTSUP` without the
   * input feature.
   *
   * @since 0.1.0
   */
  addInputDeviceFd(ctx: ContextId, inputFd: number): void {
    const fn = "krun_add_input_device_fd"
    this.#invoke(fn, [ctx, inputFd], () => [uint32(fn, "ctx_id", ctx), int32(fn, "input_fd", inputFd)])
  }

  /**
   * `krun_set_snd_device`: enables or disables virtio-snd.
   *
   * @since 0.1.0
   */
  setSndDevice(ctx: ContextId, enable: boolean): void {
    const fn = "krun_set_snd_device"
    this.#invoke(fn, [ctx, enable], () => [uint32(fn, "ctx_id", ctx), bool(fn, "enable", enable)])
  }

  // ---- workload ----------------------------------------------------------------------------

  /**
   * `krun_set_rlimits`: `"RESOURCE=CUR:MAX"` entries with numeric resource ids (e.g. `"7=1024:2048"`).
   *
   * @since 0.1.0
   */
  setRlimits(ctx: ContextId, rlimits: ReadonlyArray<CStringInput>): void {
    const fn = "krun_set_rlimits"
    this.#invoke(fn, [ctx, rlimits], () => [uint32(fn, "ctx_id", ctx), cStringArray(fn, "rlimits", rlimits)])
  }

  /**
   * `krun_set_smbios_oem_strings`: SMBIOS OEM strings (an empty array clears them).
   *
   * @since 0.1.0
   */
  setSmbiosOemStrings(ctx: ContextId, oemStrings: ReadonlyArray<CStringInput>): void {
    const fn = "krun_set_smbios_oem_strings"
    this.#invoke(fn, [ctx, oemStrings], () => [
      uint32(fn, "ctx_id", ctx),
      cStringArray(fn, "oem_strings", oemStrings)
    ])
  }

  /**
   * `krun_set_workdir`: the workload's working directory, relative to the guest root.
   *
   * @since 0.1.0
   */
  setWorkdir(ctx: ContextId, workdirPath: CStringInput): void {
    const fn = "krun_set_workdir"
    this.#invoke(fn, [ctx, workdirPath], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "workdir_path", workdirPath)
    ])
  }

  /**
   * `krun_set_exec`: the program (path in the guest), its arguments without argv[0], and its
   * environment as `KEY=VALUE` entries. `argv = null` passes no arguments. `envp = null` makes
   * libkrun copy this process's whole environment onto the guest kernel command line, which is
   * rarely wanted: pass `[]` for an empty environment.
   *
   * @since 0.1.0
   */
  setExec(
    ctx: ContextId,
    execPath: CStringInput,
    argv: ReadonlyArray<CStringInput> | null,
    envp: ReadonlyArray<CStringInput> | null
  ): void {
    const fn = "krun_set_exec"
    this.#invoke(fn, [ctx, execPath, argv, envp], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "exec_path", execPath),
      nullableCStringArray(fn, "argv", argv),
      nullableCStringArray(fn, "envp", envp)
    ])
  }

  /**
   * `krun_set_firmware`: a firmware image to boot.
   *
   * @since 0.1.0
   */
  setFirmware(ctx: ContextId, firmwarePath: CStringInput): void {
    const fn = "krun_set_firmware"
    this.#invoke(fn, [ctx, firmwarePath], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "firmware_path", firmwarePath)
    ])
  }

  /**
   * `krun_set_kernel`: an external kernel in `kernelFormat` (`KrunKernelFormat`), with an
   * optional initramfs and command line (`null` for none).
   *
   * @since 0.1.0
   */
  setKernel(
    ctx: ContextId,
    kernelPath: CStringInput,
    kernelFormat: number,
    initramfs: CStringInput | null,
    cmdline: CStringInput | null
  ): void {
    const fn = "krun_set_kernel"
    this.#invoke(fn, [ctx, kernelPath, kernelFormat, initramfs, cmdline], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "kernel_path", kernelPath),
      uint32(fn, "kernel_format", kernelFormat),
      nullableCString(fn, "initramfs", initramfs),
      nullableCString(fn, "cmdline", cmdline)
    ])
  }

  /**
   * `krun_set_env`: the workload's environment as `KEY=VALUE` entries; `null` copies this
   * process's whole environment (see `setExec`).
   *
   * @since 0.1.0
   */
  setEnv(ctx: ContextId, envp: ReadonlyArray<CStringInput> | null): void {
    const fn = "krun_set_env"
    this.#invoke(fn, [ctx, envp], () => [uint32(fn, "ctx_id", ctx), nullableCStringArray(fn, "envp", envp)])
  }

  /**
   * `krun_set_tee_config_file`: TEE builds only.
   *
   * @since 0.1.0
   */
  setTeeConfigFile(ctx: ContextId, filepath: CStringInput): void {
    const fn = "krun_set_tee_config_file"
    this.#invoke(fn, [ctx, filepath], () => [uint32(fn, "ctx_id", ctx), cString(fn, "filepath", filepath)])
  }

  // ---- vsock and consoles ------------------------------------------------------------------

  /**
   * `krun_add_vsock_port`: guest vsock `port` connects to the host unix socket `filepath`.
   *
   * @since 0.1.0
   */
  addVsockPort(ctx: ContextId, port: number, filepath: CStringInput): void {
    const fn = "krun_add_vsock_port"
    this.#invoke(fn, [ctx, port, filepath], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "port", port),
      cString(fn, "c_filepath", filepath)
    ])
  }

  /**
   * `krun_add_vsock_port2`: `addVsockPort`; with `listen`, the host connects to the guest and
   * libkrun creates `filepath` (which must not exist).
   *
   * @since 0.1.0
   */
  addVsockPort2(ctx: ContextId, port: number, filepath: CStringInput, listen: boolean): void {
    const fn = "krun_add_vsock_port2"
    this.#invoke(fn, [ctx, port, filepath, listen], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "port", port),
      cString(fn, "c_filepath", filepath),
      bool(fn, "listen", listen)
    ])
  }

  /**
   * `krun_add_vsock`: an explicit vsock device with `KrunTsiHijack` bits; call
   * `disableImplicitVsock` first.
   *
   * @since 0.1.0
   */
  addVsock(ctx: ContextId, tsiFeatures: number): void {
    const fn = "krun_add_vsock"
    this.#invoke(fn, [ctx, tsiFeatures], () => [uint32(fn, "ctx_id", ctx), uint32(fn, "tsi_features", tsiFeatures)])
  }

  /**
   * `krun_get_shutdown_eventfd`: an eventfd that asks the guest to shut down. libkrun 1.19
   * creates one on macOS/arm64 only; elsewhere `EINVAL`.
   *
   * @since 0.1.0
   */
  getShutdownEventfd(ctx: ContextId): number {
    const fn = "krun_get_shutdown_eventfd"
    return this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
  }

  /**
   * `krun_set_console_output`: the implicit console ignores stdin and writes to `filepath`
   * (once per context).
   *
   * @since 0.1.0
   */
  setConsoleOutput(ctx: ContextId, filepath: CStringInput): void {
    const fn = "krun_set_console_output"
    this.#invoke(fn, [ctx, filepath], () => [uint32(fn, "ctx_id", ctx), cString(fn, "c_filepath", filepath)])
  }

  /**
   * `krun_setuid`: the uid the VMM switches to just before starting the VM.
   *
   * @since 0.1.0
   */
  setuid(ctx: ContextId, uid: number): void {
    const fn = "krun_setuid"
    this.#invoke(fn, [ctx, uid], () => [uint32(fn, "ctx_id", ctx), uint32(fn, "uid", uid)])
  }

  /**
   * `krun_setgid`: the gid the VMM switches to just before starting the VM.
   *
   * @since 0.1.0
   */
  setgid(ctx: ContextId, gid: number): void {
    const fn = "krun_setgid"
    this.#invoke(fn, [ctx, gid], () => [uint32(fn, "ctx_id", ctx), uint32(fn, "gid", gid)])
  }

  /**
   * `krun_set_nested_virt`: requests nested virtualization for the guest.
   *
   * @since 0.1.0
   */
  setNestedVirt(ctx: ContextId, enabled: boolean): void {
    const fn = "krun_set_nested_virt"
    this.#invoke(fn, [ctx, enabled], () => [uint32(fn, "ctx_id", ctx), bool(fn, "enabled", enabled)])
  }

  /**
   * `krun_check_nested_virt`: whether the host supports nested virtualization (on Linux: the
   * `nested` parameter of kvm_intel or kvm_amd).
   *
   * @since 0.1.0
   */
  checkNestedVirt(): boolean {
    return this.#invoke("krun_check_nested_virt", [], () => []) === 1
  }

  /**
   * `krun_has_feature`: whether libkrun was built with a `KrunFeature`. An id this libkrun does
   * not know throws `KrunError` EINVAL.
   *
   * @since 0.1.0
   */
  hasFeature(feature: KrunFeatureId | number | bigint): boolean {
    const fn = "krun_has_feature"
    return this.#invoke(fn, [feature], () => [uint64(fn, "feature", feature)]) === 1
  }

  /**
   * `krun_get_max_vcpus`: the hypervisor's vCPU limit (opens `/dev/kvm` on Linux; `EINVAL` when
   * it cannot).
   *
   * @since 0.1.0
   */
  getMaxVcpus(): number {
    return this.#invoke("krun_get_max_vcpus", [], () => [])
  }

  /**
   * `krun_split_irqchip`: split the IRQCHIP between host and guest (x86_64).
   *
   * @since 0.1.0
   */
  splitIrqchip(ctx: ContextId, enable: boolean): void {
    const fn = "krun_split_irqchip"
    this.#invoke(fn, [ctx, enable], () => [uint32(fn, "ctx_id", ctx), bool(fn, "enable", enable)])
  }

  /**
   * `krun_disable_implicit_console`.
   *
   * @since 0.1.0
   */
  disableImplicitConsole(ctx: ContextId): void {
    const fn = "krun_disable_implicit_console"
    this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
  }

  /**
   * `krun_disable_implicit_init`: do not inject `/init.krun` (call before `setRoot`).
   *
   * @since 0.1.0
   */
  disableImplicitInit(ctx: ContextId): void {
    const fn = "krun_disable_implicit_init"
    this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
  }

  /**
   * `krun_get_default_init`: a copy of the init binary libkrun injects as `/init.krun`.
   * `ENOTSUP` when libkrun was built without the init-blob feature.
   *
   * @since 0.1.0
   */
  getDefaultInit(): Uint8Array {
    const fn = "krun_get_default_init"
    const data: Array<unknown> = [null]
    const length: Array<unknown> = [null]
    this.#invoke(fn, [], () => [data, length])
    return copyFromPointer(toBigint(data[0]), Number(toBigint(length[0])))
  }

  /**
   * `krun_fs_add_overlay_file`: a file backed by memory in virtiofs `fsTag` at `path` (parents
   * must exist). libkrun keeps the pointer, not a copy, so the bytes are copied to C memory that
   * stays allocated until `freeCtx` (or the process ends).
   *
   * @since 0.1.0
   */
  fsAddOverlayFile(
    ctx: ContextId,
    fsTag: CStringInput,
    path: CStringInput,
    data: Uint8Array,
    mode: number,
    oneShot: boolean
  ): void {
    const fn = "krun_fs_add_overlay_file"
    let pinned: PinnedBytes | undefined
    try {
      this.#invoke(fn, [ctx, fsTag, path, data, mode, oneShot], () => {
        const converted: Array<unknown> = [
          uint32(fn, "ctx_id", ctx),
          cString(fn, "fs_tag", fsTag),
          cString(fn, "path", path),
          null,
          data.byteLength,
          uint32(fn, "mode", mode),
          bool(fn, "one_shot", oneShot)
        ]
        pinned = pinBytes(fn, "data", data)
        converted[3] = pinned.pointer
        return converted
      })
    } catch (error) {
      pinned?.release()
      throw error
    }
    if (pinned !== undefined) this.#state(ctx).pinned.push(pinned)
  }

  /**
   * `krun_fs_add_overlay_dir`: an empty read-only directory in virtiofs `fsTag` at `path`.
   *
   * @since 0.1.0
   */
  fsAddOverlayDir(ctx: ContextId, fsTag: CStringInput, path: CStringInput, mode: number): void {
    const fn = "krun_fs_add_overlay_dir"
    this.#invoke(fn, [ctx, fsTag, path, mode], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "fs_tag", fsTag),
      cString(fn, "path", path),
      uint32(fn, "mode", mode)
    ])
  }

  /**
   * `krun_disable_implicit_vsock`: no vsock device unless `addVsock` adds one.
   *
   * @since 0.1.0
   */
  disableImplicitVsock(ctx: ContextId): void {
    const fn = "krun_disable_implicit_vsock"
    this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
  }

  /**
   * `krun_set_kernel_console`: the `console=` value of the guest kernel command line.
   *
   * @since 0.1.0
   */
  setKernelConsole(ctx: ContextId, consoleId: CStringInput): void {
    const fn = "krun_set_kernel_console"
    this.#invoke(fn, [ctx, consoleId], () => [uint32(fn, "ctx_id", ctx), cString(fn, "console_id", consoleId)])
  }

  /**
   * `krun_add_virtio_console_default`: a virtio-console on these fds (ports set up by fd kind).
   *
   * @since 0.1.0
   */
  addVirtioConsoleDefault(ctx: ContextId, inputFd: number, outputFd: number, errFd: number): void {
    const fn = "krun_add_virtio_console_default"
    this.#invoke(fn, [ctx, inputFd, outputFd, errFd], () => [
      uint32(fn, "ctx_id", ctx),
      int32(fn, "input_fd", inputFd),
      int32(fn, "output_fd", outputFd),
      int32(fn, "err_fd", errFd)
    ])
  }

  /**
   * `krun_add_serial_console_default`: a legacy serial device on these fds.
   *
   * @since 0.1.0
   */
  addSerialConsoleDefault(ctx: ContextId, inputFd: number, outputFd: number): void {
    const fn = "krun_add_serial_console_default"
    this.#invoke(fn, [ctx, inputFd, outputFd], () => [
      uint32(fn, "ctx_id", ctx),
      int32(fn, "input_fd", inputFd),
      int32(fn, "output_fd", outputFd)
    ])
  }

  /**
   * `krun_add_virtio_console_multiport`: returns the console id for `addConsolePort*`.
   *
   * @since 0.1.0
   */
  addVirtioConsoleMultiport(ctx: ContextId): number {
    const fn = "krun_add_virtio_console_multiport"
    return this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
  }

  /**
   * `krun_add_console_port_tty`: a console port on a terminal fd (`name = null` for unnamed).
   *
   * @since 0.1.0
   */
  addConsolePortTty(ctx: ContextId, consoleId: number, name: CStringInput | null, ttyFd: number): void {
    const fn = "krun_add_console_port_tty"
    this.#invoke(fn, [ctx, consoleId, name, ttyFd], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "console_id", consoleId),
      nullableCString(fn, "name", name),
      int32(fn, "tty_fd", ttyFd)
    ])
  }

  /**
   * `krun_add_console_port_inout`: a generic port on an input and an output fd.
   *
   * @since 0.1.0
   */
  addConsolePortInout(
    ctx: ContextId,
    consoleId: number,
    name: CStringInput | null,
    inputFd: number,
    outputFd: number
  ): void {
    const fn = "krun_add_console_port_inout"
    this.#invoke(fn, [ctx, consoleId, name, inputFd, outputFd], () => [
      uint32(fn, "ctx_id", ctx),
      uint32(fn, "console_id", consoleId),
      nullableCString(fn, "name", name),
      int32(fn, "input_fd", inputFd),
      int32(fn, "output_fd", outputFd)
    ])
  }

  /**
   * `krun_set_root_disk_remount`: boot from block device `device` (added with `addDisk*`);
   * `fstype` and `options` may be `null`.
   *
   * @since 0.1.0
   */
  setRootDiskRemount(
    ctx: ContextId,
    device: CStringInput,
    fstype: CStringInput | null,
    options: CStringInput | null
  ): void {
    const fn = "krun_set_root_disk_remount"
    this.#invoke(fn, [ctx, device, fstype, options], () => [
      uint32(fn, "ctx_id", ctx),
      cString(fn, "device", device),
      nullableCString(fn, "fstype", fstype),
      nullableCString(fn, "options", options)
    ])
  }

  /**
   * `krun_start_enter`: starts the VM in this process. On success it never returns: the VMM
   * owns the process and `_exit`s with the guest's status (no JS exit handlers run). It returns
   * only when the VM could not start, and this method then throws `KrunError`. It refuses to
   * run without `{ iUnderstandThisEndsTheProcess: true }` (`StartEnterNotAllowed`).
   *
   * @since 0.1.0
   */
  startEnter(ctx: ContextId, consent: StartEnterConsent): never {
    const fn = "krun_start_enter"
    const given: unknown = typeof consent === "object" && consent !== null
      ? Reflect.get(consent, "iUnderstandThisEndsTheProcess")
      : undefined
    if (given !== true) throw new StartEnterNotAllowed({ contextId: ctx })
    const code = this.#invoke(fn, [ctx], () => [uint32(fn, "ctx_id", ctx)])
    throw new KrunError({
      function: fn,
      returnCode: code,
      errno: 0,
      errnoName: "EUNKNOWN",
      errnoMessage: `returned ${code} without starting the VM`,
      arguments: [ctx],
      hint: "krun_start_enter is documented to return only on failure; this libkrun behaves differently."
    })
  }
}

const loaded = new Map<string, LibkrunLibrary>()

const loadLibkrunfw = (library: LibkrunLibrary, options: LibkrunLoadOptions): void => {
  if (library.libkrunfw !== undefined) return
  let libkrunfw: LibkrunfwLibrary
  try {
    libkrunfw = Libkrunfw.load({
      ...(options.libkrunfwPath === undefined ? {} : { path: options.libkrunfwPath }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.systemDirectories === undefined ? {} : { systemDirectories: options.systemDirectories }),
      ...(options.searchLoaderPath === undefined ? {} : { searchLoaderPath: options.searchLoaderPath })
    })
  } catch (error) {
    if (LibraryNotFound.isInstance(error) && (options.libkrunfw ?? "required") === "ifPresent") return
    throw error
  }
  library.attachLibkrunfw(libkrunfw)
}

const load = (options: LibkrunLoadOptions = {}): LibkrunLibrary => {
  const found = discover("libkrun", options, koffiLoader("libkrun", "krun_create_ctx"))
  let library = loaded.get(found.realPath)
  if (library === undefined) {
    const version = detectVersion("libkrun", found.realPath, found.manifest)
    library = new LibkrunLibrary({
      handle: found.handle,
      path: found.path,
      realPath: found.realPath,
      source: found.source,
      version: version?.version,
      versionSource: version?.source,
      probes: found.probes
    })
    loaded.set(found.realPath, library)
  }
  loadLibkrunfw(library, options)
  return library
}

/**
 * Entry point for libkrun.
 *
 * @example
 * ```ts
 * import { Libkrun, KrunLogLevel } from "@krunbox/ffi"
 * const krun = Libkrun.load()
 * const ctx = krun.createCtx()
 * try {
 *   krun.setVmConfig(ctx, 1, 512)
 *   krun.setRoot(ctx, "/srv/rootfs")
 *   krun.setExec(ctx, "/bin/echo", ["hello"], [])
 * } finally {
 *   krun.freeCtx(ctx)
 * }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Libkrun = {
  /**
   * Finds and loads libkrun, and preloads libkrunfw (see `LibkrunLoadOptions`). Loading the same
   * file again returns the same instance, whose guards (logger, contexts) are shared. Throws
   * `LibraryNotFound` listing every probe, or `LibkrunfwPreloadTooLate`.
   *
   * @since 0.1.0
   */
  load,
  /**
   * The 67 declared functions with their prototypes, methods and requirements.
   *
   * @since 0.1.0
   */
  functions: LIBKRUN_FUNCTIONS
} as const
