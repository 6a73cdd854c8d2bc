/**
 * @krunbox/core: krunbox's MicroVm configuration model, parsers, validation
 * and typed errors.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as CommandLine from "./CommandLine.js"
/**
 * @since 0.1.0
 */
export * as ConfigError from "./errors.js"
/**
 * @since 0.1.0
 */
export * as EnvPair from "./EnvPair.js"
/**
 * @since 0.1.0
 */
export * as FileSystem from "./FileSystem.js"
/**
 * @since 0.1.0
 */
export * as Ipv4 from "./Ipv4.js"
/**
 * @since 0.1.0
 */
export * as CacheDir from "./CacheDir.js"
/**
 * @since 0.1.0
 * @category errors
 */
export { KrunboxError, type KrunboxErrorJson, TaggedError, type TaggedErrorClass } from "./KrunboxError.js"
/**
 * @since 0.1.0
 */
export * as LogLevel from "./LogLevel.js"
/**
 * @since 0.1.0
 */
export * as TerminalText from "./TerminalText.js"
/**
 * @since 0.1.0
 */
export * as MicroVmConfig from "./MicroVmConfig.js"
/**
 * @since 0.1.0
 */
export * as NetworkScope from "./NetworkScope.js"
/**
 * @since 0.1.0
 */
export * as PathPair from "./PathPair.js"
/**
 * @since 0.1.0
 */
export * as PortPair from "./PortPair.js"
/**
 * @since 0.1.0
 */
export * as Rlimit from "./Rlimit.js"
/**
 * @since 0.1.0
 */
export * as Rootfs from "./Rootfs.js"
