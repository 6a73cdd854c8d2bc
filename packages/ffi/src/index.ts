/**
 * `@krunbox/ffi`: libkrun 1.19 and libkrunfw 5 through koffi. Raw, typed, and safe to call from
 * a process that must survive: discovery, lazy symbol probing, one conversion module, one
 * return-code module, and guards for libkrun's process-global hazards.
 *
 * @since 0.1.0
 */
export * from "./Constants.js"
export {
  type Candidate,
  type Discovered,
  type DiscoveryOptions,
  type Environment,
  LIBRARY_ENV_VARS,
  type LibraryKind,
  type Loader,
  type ManifestLibrary,
  RUNTIME_MANIFEST_FILE,
  type RuntimeManifestRead,
  candidates,
  defaultCacheDir,
  discover,
  libraryFileNames,
  notFoundHint,
  readRuntimeManifest,
  systemDirectories
} from "./Discovery.js"
export {
  type FunctionDeclaration,
  LIBKRUN_FUNCTIONS,
  LIBKRUN_FUNCTION_NAMES,
  LIBKRUNFW_FUNCTIONS,
  type LibkrunFunctionName,
  type LibkrunfwFunctionName,
  type LibkrunMethodName,
  type SymbolRequirement
} from "./Functions.js"
export {
  type ContextId,
  type CStringInput,
  Libkrun,
  type LibkrunLoadOptions,
  LibkrunLibrary,
  type MacAddress,
  type StartEnterConsent
} from "./Libkrun.js"
export { type KrunfwKernel, Libkrunfw, type LibkrunfwLibrary, type LibkrunfwLoadOptions } from "./Libkrunfw.js"
export { InvalidArgument } from "./errors/InvalidArgument.js"
export { KrunError } from "./errors/KrunError.js"
export { LibkrunfwPreloadTooLate } from "./errors/LibkrunfwPreloadTooLate.js"
export { LibraryNotFound, type LibraryProbe, type LibrarySource } from "./errors/LibraryNotFound.js"
export { LoggerAlreadyInitialized } from "./errors/LoggerAlreadyInitialized.js"
export { StartEnterNotAllowed } from "./errors/StartEnterNotAllowed.js"
export { SymbolNotAvailable } from "./errors/SymbolNotAvailable.js"
export type { ArgumentSummary } from "./internal/convert.js"
export type { VersionSource } from "./internal/version.js"

import type { InvalidArgument } from "./errors/InvalidArgument.js"
import type { KrunError } from "./errors/KrunError.js"
import type { LibkrunfwPreloadTooLate } from "./errors/LibkrunfwPreloadTooLate.js"
import type { LibraryNotFound } from "./errors/LibraryNotFound.js"
import type { LoggerAlreadyInitialized } from "./errors/LoggerAlreadyInitialized.js"
import type { StartEnterNotAllowed } from "./errors/StartEnterNotAllowed.js"
import type { SymbolNotAvailable } from "./errors/SymbolNotAvailable.js"

/**
 * Every error this package throws.
 *
 * @since 0.1.0
 * @category errors
 */
export type FfiError =
  | InvalidArgument
  | KrunError
  | LibkrunfwPreloadTooLate
  | LibraryNotFound
  | LoggerAlreadyInitialized
  | StartEnterNotAllowed
  | SymbolNotAvailable
