/**
 * Finding libkrun and libkrunfw: an explicit path, then `KRUNBOX_LIBKRUN` / `KRUNBOX_LIBKRUNFW`,
 * then the `runtime.json` manifest that `krunbox setup` writes into the cache directory, then the
 * system (the dynamic loader's search path, then well-known folders). An explicit path or an
 * environment variable is final: if it fails, discovery stops there instead of silently using
 * another library.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs"
import { defaultCacheDir, type Environment } from "@krunbox/core/CacheDir"
import { isAbsolute, join, resolve } from "node:path"
import { LibraryNotFound, type LibraryProbe, type LibrarySource } from "./errors/LibraryNotFound.js"

/**
 * The two native libraries krunbox loads.
 *
 * @since 0.1.0
 * @category models
 */
export type LibraryKind = "libkrun" | "libkrunfw"

/**
 * Environment variables that point discovery at a library.
 *
 * @since 0.1.0
 * @category constants
 */
export const LIBRARY_ENV_VARS: { readonly [K in LibraryKind]: string } = {
  libkrun: "KRUNBOX_LIBKRUN",
  libkrunfw: "KRUNBOX_LIBKRUNFW"
}

/**
 * The environment as discovery reads it (`process.env` by default).
 *
 * @since 0.1.0
 * @category models
 */
export type { Environment }

/**
 * Inputs of discovery; all optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface DiscoveryOptions {
  /** Load exactly this file; nothing else is tried. */
  readonly path?: string
  /** Defaults to `process.env`. */
  readonly env?: Environment
  /** The cache holding `runtime.json`; defaults to `defaultCacheDir(env)`. */
  readonly cacheDir?: string
  /** Folders tried last; defaults to `systemDirectories()`. */
  readonly systemDirectories?: ReadonlyArray<string>
  /** Whether to ask the dynamic loader for the library by SONAME; defaults to `true`. */
  readonly searchLoaderPath?: boolean
}

/**
 * The cache directory of `krunbox setup` (`@krunbox/core`'s, re-exported for discovery's users).
 *
 * @since 0.1.0
 * @category discovery
 */
export { defaultCacheDir }

/**
 * The file name of the manifest inside the cache directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const RUNTIME_MANIFEST_FILE = "runtime.json"

/**
 * A library entry of `runtime.json`, as far as the bindings use it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ManifestLibrary {
  readonly path: string
  readonly version: string | undefined
}

/**
 * What `readRuntimeManifest` found.
 *
 * @since 0.1.0
 * @category models
 */
export type RuntimeManifestRead =
  | {
      readonly _tag: "Found"
      readonly manifestPath: string
      readonly libkrun: ManifestLibrary | undefined
      readonly libkrunfw: ManifestLibrary | undefined
    }
  | { readonly _tag: "Missing"; readonly manifestPath: string }
  | { readonly _tag: "Invalid"; readonly manifestPath: string; readonly reason: string }

const manifestLibrary = (
  value: unknown,
  key: LibraryKind
): ManifestLibrary | string | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "object") return `"${key}" is not an object`
  const path: unknown = Reflect.get(value, "path")
  const version: unknown = Reflect.get(value, "version")
  if (typeof path !== "string" || !isAbsolute(path)) return `"${key}.path" is not an absolute path`
  return { path, version: typeof version === "string" ? version : undefined }
}

/**
 * Reads the library paths (`libkrun.path`, `libkrunfw.path`) and versions from the
 * `runtime.json` manifest in `cacheDir`. Never throws: a missing or malformed manifest is a value.
 *
 * @since 0.1.0
 * @category discovery
 */
export const readRuntimeManifest = (cacheDir: string = defaultCacheDir()): RuntimeManifestRead => {
  const manifestPath = join(cacheDir, RUNTIME_MANIFEST_FILE)
  let text: string
  try {
    text = readFileSync(manifestPath, "utf8")
  } catch (cause) {
    const code: unknown = typeof cause === "object" && cause !== null ? Reflect.get(cause, "code") : undefined
    if (code === "ENOENT" || code === "ENOTDIR") return { _tag: "Missing", manifestPath }
    return { _tag: "Invalid", manifestPath, reason: `unreadable: ${String(cause)}` }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return { _tag: "Invalid", manifestPath, reason: `not JSON: ${String(cause)}` }
  }
  if (typeof json !== "object" || json === null) {
    return { _tag: "Invalid", manifestPath, reason: "not a JSON object" }
  }
  const schema: unknown = Reflect.get(json, "schema")
  if (schema !== 1) {
    return {
      _tag: "Invalid",
      manifestPath,
      reason: `unsupported "schema": ${JSON.stringify(schema)} (this version reads schema 1)`
    }
  }
  const libkrun = manifestLibrary(Reflect.get(json, "libkrun"), "libkrun")
  const libkrunfw = manifestLibrary(Reflect.get(json, "libkrunfw"), "libkrunfw")
  if (typeof libkrun === "string") return { _tag: "Invalid", manifestPath, reason: libkrun }
  if (typeof libkrunfw === "string") return { _tag: "Invalid", manifestPath, reason: libkrunfw }
  return { _tag: "Found", manifestPath, libkrun, libkrunfw }
}

/**
 * The file names the dynamic loader knows each library by, most specific first.
 *
 * @since 0.1.0
 * @category discovery
 */
export const libraryFileNames = (
  library: LibraryKind,
  platform: NodeJS.Platform = process.platform
): ReadonlyArray<string> => {
  if (platform === "darwin") {
    return library === "libkrun" ? ["libkrun.1.dylib", "libkrun.dylib"] : ["libkrunfw.5.dylib"]
  }
  return library === "libkrun" ? ["libkrun.so.1", "libkrun.so"] : ["libkrunfw.so.5"]
}

/**
 * The folders tried after the loader's own search: Homebrew's on macOS, the non-multiarch ones
 * elsewhere (multiarch folders such as `/usr/lib/x86_64-linux-gnu` are in the loader's cache).
 *
 * @since 0.1.0
 * @category discovery
 */
export const systemDirectories = (platform: NodeJS.Platform = process.platform): ReadonlyArray<string> =>
  platform === "darwin"
    ? ["/opt/homebrew/lib", "/usr/local/lib"]
    : ["/usr/lib64", "/usr/local/lib", "/usr/local/lib64"]

/**
 * One place discovery will look, before looking.
 *
 * @since 0.1.0
 * @category models
 */
export interface Candidate {
  readonly candidate: string
  readonly source: LibrarySource
  /** The manifest's entry when the candidate came from `runtime.json`. */
  readonly manifest?: ManifestLibrary
  /** A manifest problem to report instead of a path. */
  readonly manifestProblem?: { readonly outcome: "missing" | "invalid-manifest"; readonly detail: string }
}

const explicitCandidate = (value: string, source: LibrarySource): Candidate =>
  value.includes("/") ? { candidate: resolve(value), source } : { candidate: value, source }

/**
 * Every candidate for `library`, in the order discovery tries them. An explicit `path` or the
 * environment variable yields a single candidate.
 *
 * @since 0.1.0
 * @category discovery
 */
export const candidates = (library: LibraryKind, options: DiscoveryOptions = {}): ReadonlyArray<Candidate> => {
  if (options.path !== undefined) return [explicitCandidate(options.path, "option")]
  const env = options.env ?? process.env
  const fromEnv = env[LIBRARY_ENV_VARS[library]]
  if (fromEnv !== undefined && fromEnv !== "") return [explicitCandidate(fromEnv, "env")]

  const list: Array<Candidate> = []
  const manifest = readRuntimeManifest(options.cacheDir ?? defaultCacheDir(env))
  switch (manifest._tag) {
    case "Found": {
      const entry = manifest[library]
      if (entry === undefined) {
        list.push({
          candidate: manifest.manifestPath,
          source: "manifest",
          manifestProblem: { outcome: "invalid-manifest", detail: `no "${library}" entry` }
        })
      } else {
        list.push({ candidate: entry.path, source: "manifest", manifest: entry })
      }
      break
    }
    case "Missing":
      list.push({
        candidate: manifest.manifestPath,
        source: "manifest",
        manifestProblem: { outcome: "missing", detail: "krunbox setup has not run for this cache directory" }
      })
      break
    case "Invalid":
      list.push({
        candidate: manifest.manifestPath,
        source: "manifest",
        manifestProblem: { outcome: "invalid-manifest", detail: manifest.reason }
      })
      break
  }

  const fileNames = libraryFileNames(library)
  if (options.searchLoaderPath ?? true) {
    for (const name of fileNames) list.push({ candidate: name, source: "loader" })
  }
  for (const directory of options.systemDirectories ?? systemDirectories()) {
    for (const name of fileNames) list.push({ candidate: join(directory, name), source: "system" })
  }
  return list
}

/**
 * How to get the missing library, for `LibraryNotFound.hint`.
 *
 * @since 0.1.0
 * @category discovery
 */
export const notFoundHint = (library: LibraryKind, options: DiscoveryOptions = {}): string => {
  const env = options.env ?? process.env
  const variable = LIBRARY_ENV_VARS[library]
  if (options.path !== undefined) {
    return `The path given in the "path" option could not be loaded: fix it, or leave it out to use discovery.`
  }
  const fromEnv = env[variable]
  if (fromEnv !== undefined && fromEnv !== "") {
    return `${variable}=${fromEnv} could not be loaded: fix it, or unset it to use discovery.`
  }
  return (
    `Run \`krunbox setup\` (from a source checkout: \`bin/krunbox setup\`) to install ${library} into ` +
    `${options.cacheDir ?? defaultCacheDir(env)}, or set ${variable} to the library's path.`
  )
}

/**
 * A library that discovery loaded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Discovered<Handle> {
  readonly handle: Handle
  /** The candidate that loaded: an absolute path, or the loader's resolution of a bare name. */
  readonly path: string
  /** `path` with symlinks resolved (`libkrunfw.so.5` → `libkrunfw.so.5.5.0`). */
  readonly realPath: string
  readonly source: LibrarySource
  readonly manifest: ManifestLibrary | undefined
  readonly probes: ReadonlyArray<LibraryProbe>
}

/**
 * How discovery loads a candidate; `locate` turns a handle loaded by bare name into the file the
 * loader picked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Loader<Handle> {
  readonly load: (candidate: string) => Handle
  readonly locate: (handle: Handle, candidate: string) => string | undefined
  /** Why a loaded file is not the library asked for, or `undefined` when it is. */
  readonly verify: (handle: Handle) => string | undefined
}

const safeRealPath = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/**
 * Tries every candidate in order and returns the first that loads, or throws `LibraryNotFound`
 * listing every probe.
 *
 * @since 0.1.0
 * @category discovery
 */
export const discover = <Handle>(
  library: LibraryKind,
  options: DiscoveryOptions,
  loader: Loader<Handle>
): Discovered<Handle> => {
  const probes: Array<LibraryProbe> = []
  for (const entry of candidates(library, options)) {
    if (entry.manifestProblem !== undefined) {
      probes.push({
        candidate: entry.candidate,
        source: entry.source,
        outcome: entry.manifestProblem.outcome,
        detail: entry.manifestProblem.detail
      })
      continue
    }
    const isPath = entry.candidate.includes("/")
    if (isPath && !existsSync(entry.candidate)) {
      probes.push({
        candidate: entry.candidate,
        source: entry.source,
        outcome: "missing",
        ...(entry.source === "manifest"
          ? { detail: "listed in runtime.json but absent: the cache is stale, rerun krunbox setup" }
          : {})
      })
      continue
    }
    if (isPath && statSync(entry.candidate).isDirectory()) {
      probes.push({ candidate: entry.candidate, source: entry.source, outcome: "load-failed", detail: "is a directory" })
      continue
    }
    let handle: Handle
    try {
      handle = loader.load(entry.candidate)
    } catch (cause) {
      probes.push({
        candidate: entry.candidate,
        source: entry.source,
        outcome: isPath ? "load-failed" : "missing",
        detail: cause instanceof Error ? cause.message : String(cause)
      })
      continue
    }
    const problem = loader.verify(handle)
    if (problem !== undefined) {
      probes.push({ candidate: entry.candidate, source: entry.source, outcome: "load-failed", detail: problem })
      continue
    }
    const path = isPath ? entry.candidate : (loader.locate(handle, entry.candidate) ?? entry.candidate)
    probes.push({ candidate: entry.candidate, source: entry.source, outcome: "loaded" })
    return {
      handle,
      path,
      realPath: safeRealPath(path),
      source: entry.source,
      manifest: entry.manifest,
      probes
    }
  }
  throw new LibraryNotFound({ library, probes, hint: notFoundHint(library, options) })
}
