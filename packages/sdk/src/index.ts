/**
 * @krunbox/sdk: run workloads in libkrun microVMs (or gVisor) from Node.js.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export { Rootfs } from "@krunbox/core"
/**
 * @since 0.1.0
 * @category models
 */
export { MicroVm, MicroVmBuilder, type EngineChoice, type ImageOptions } from "./MicroVm.js"
/**
 * @since 0.1.0
 * @category models
 */
export type { ExitInfo, RunOptions, RunResult, SpawnOptions, StdioMode, VmProcess } from "./VmProcess.js"
/**
 * @since 0.1.0
 * @category models
 */
export type { EngineFallback, ImageUserNotApplied, LimitNotEnforced, Notice, NoticeListener, RunRootfsNotRemoved } from "./Notice.js"
/**
 * @since 0.1.0
 * @category errors
 */
export {
  ConsoleOutputUnwritable,
  DefaultRootfsUnavailable,
  EngineCrashed,
  type EngineName,
  EngineUnavailable,
  GuestBootFailed,
  GuestCrashed,
  ImageHasNoCommand,
  InvalidBuilderArgument,
  InvalidTimeout,
  KrunboxError,
  KvmIsPvm,
  KvmUnavailable,
  MAX_TIMEOUT_MS,
  MicroVmCannotBoot,
  OverlayUnavailable,
  PreBootFailure,
  UnsupportedOption
} from "./errors.js"
/**
 * @since 0.1.0
 * @category probes
 */
export { type BootProbeResult, cachedProbeBoot, FAILED_PROBE_TTL_MS, probeBoot } from "./engine/bootProbe.js"
/**
 * OCI images (`@krunbox/image`, re-exported): references, registries, the local image store.
 *
 * @since 0.1.0
 * @category images
 */
export * as Image from "@krunbox/image"
/**
 * Native runtime setup (`krunbox setup`): guest init, libkrun, libkrunfw, default rootfs, runsc
 * (`@krunbox/runtime`'s, re-exported).
 *
 * @since 0.1.0
 * @category runtime
 */
export { Setup } from "@krunbox/runtime"
/**
 * Host diagnosis (`krunbox doctor`): `@krunbox/runtime`'s, with the boot probe of this SDK's engine.
 *
 * @since 0.1.0
 * @category runtime
 */
export * as Doctor from "./Doctor.js"
