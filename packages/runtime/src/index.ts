/**
 * @krunbox/runtime: the native runtime krunbox runs on. Setup builds and fetches it (the guest
 * init, libkrun, libkrunfw, a default rootfs, gVisor's runsc) into a cache and records it in
 * `runtime.json`; the host checks and the doctor say what this host can run.
 *
 * @since 0.1.0
 */

/**
 * Where the native runtime lives inside the cache.
 *
 * @since 0.1.0
 */
export * as CachePaths from "./CachePaths.js"
/**
 * Host diagnosis (`krunbox doctor`).
 *
 * @since 0.1.0
 */
export * as Doctor from "./Doctor.js"
/**
 * `/dev/kvm` access and PVM.
 *
 * @since 0.1.0
 */
export * as HostChecks from "./HostChecks.js"
/**
 * `runtime.json`: reading, validating and writing it.
 *
 * @since 0.1.0
 */
export * as Manifest from "./Manifest.js"
/**
 * Native runtime setup (`krunbox setup`).
 *
 * @since 0.1.0
 */
export * as Setup from "./Setup.js"
/**
 * @since 0.1.0
 * @category errors
 */
export { KvmIsPvm, KvmUnavailable } from "./errors.js"
