/**
 * `runtime.json`: the record `krunbox setup` writes last (schema in docs/architecture.md).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { Effect, Result } from "effect"
import { cachePaths, defaultCacheDir } from "./CachePaths.js"
import { writeFileAtomic } from "./internal/files.js"
import { ManifestInvalid } from "./SetupError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LibkrunEntry {
  readonly path: string
  readonly version: string
  readonly sha256: string
  readonly source: "built" | "system"
  readonly features: ReadonlyArray<string>
  /** Set for a system libkrun: it embeds libkrun's own init, which sends no readiness signal. */
  readonly note?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LibkrunfwEntry {
  readonly path: string
  readonly version: string
  readonly sha256: string
  readonly source: "deb" | "system"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InitEntry {
  readonly path: string
  readonly sha256: string
  readonly protocol: number
  /** True when the libkrun in this manifest was built with this init (`KRUN_INIT_BINARY_PATH`). */
  readonly embeddedInLibkrun: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RootfsEntry {
  readonly path: string
  readonly busybox: string
  /** sha256 of the rootfs's `/bin/busybox`. */
  readonly sha256: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunscEntry {
  readonly path: string
  readonly version: string
}

/**
 * The whole manifest (`"schema": 1`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RuntimeManifest {
  readonly schema: 1
  readonly libkrun: LibkrunEntry
  readonly libkrunfw: LibkrunfwEntry
  readonly init: InitEntry
  readonly rootfs: RootfsEntry
  readonly runsc: RunscEntry | null
}

/**
 * The manifest schema version this SDK writes and reads.
 *
 * @since 0.1.0
 * @category constants
 */
export const SCHEMA_VERSION = 1

const FIX = "run `krunbox setup --force` (or Setup.run({ force: true }))"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const requireStrings = (entry: unknown, name: string, keys: ReadonlyArray<string>): string | undefined => {
  if (!isRecord(entry)) return `"${name}" is missing or not an object`
  for (const key of keys) {
    if (typeof entry[key] !== "string" || entry[key] === "") return `"${name}.${key}" is missing or not a string`
  }
  return undefined
}

/**
 * Checks an untrusted value against the schema; returns the first problem or undefined.
 *
 * @since 0.1.0
 * @category validation
 */
export const problemOf = (u: unknown): string | undefined => {
  if (!isRecord(u)) return "not a JSON object"
  if (u["schema"] !== SCHEMA_VERSION) return `"schema" is ${JSON.stringify(u["schema"])}, expected ${SCHEMA_VERSION}`
  const libkrun = requireStrings(u["libkrun"], "libkrun", ["path", "version", "sha256", "source"])
  if (libkrun !== undefined) return libkrun
  const lk = u["libkrun"] as Record<string, unknown>
  if (lk["source"] !== "built" && lk["source"] !== "system") return `"libkrun.source" must be "built" or "system"`
  if (!Array.isArray(lk["features"]) || !lk["features"].every((f) => typeof f === "string")) {
    return `"libkrun.features" must be an array of strings`
  }
  const fw = requireStrings(u["libkrunfw"], "libkrunfw", ["path", "version", "sha256", "source"])
  if (fw !== undefined) return fw
  const init = requireStrings(u["init"], "init", ["path", "sha256"])
  if (init !== undefined) return init
  const ie = u["init"] as Record<string, unknown>
  if (typeof ie["protocol"] !== "number") return `"init.protocol" must be a number`
  if (typeof ie["embeddedInLibkrun"] !== "boolean") return `"init.embeddedInLibkrun" must be a boolean`
  const rootfs = requireStrings(u["rootfs"], "rootfs", ["path", "busybox", "sha256"])
  if (rootfs !== undefined) return rootfs
  if (u["runsc"] !== null) {
    const runsc = requireStrings(u["runsc"], "runsc", ["path", "version"])
    if (runsc !== undefined) return runsc
  }
  return undefined
}

/**
 * Reads and validates the manifest at `file`.
 *
 * @since 0.1.0
 * @category io
 */
export const read = (file: string): Effect.Effect<RuntimeManifest, ManifestInvalid> =>
  Effect.gen(function* () {
    const text = yield* Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (err) =>
        new ManifestInvalid({
          path: file,
          problem: (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist (setup has not run)" : String(err),
          fix: "run `krunbox setup` (or Setup.run())"
        })
    })
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (err) => new ManifestInvalid({ path: file, problem: `not valid JSON: ${String(err)}`, fix: FIX })
    })
    const problem = problemOf(parsed)
    if (problem !== undefined) return yield* Effect.fail(new ManifestInvalid({ path: file, problem, fix: FIX }))
    return parsed as RuntimeManifest
  })

/**
 * Writes the manifest atomically (temp file + rename).
 *
 * @since 0.1.0
 * @category io
 */
export const write = (file: string, manifest: RuntimeManifest) =>
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`)

/**
 * What {@link readInstalled} found.
 *
 * @since 0.1.0
 * @category models
 */
export type InstalledRead =
  | { readonly _tag: "Found"; readonly path: string; readonly manifest: RuntimeManifest }
  | { readonly _tag: "Missing"; readonly path: string; readonly reason: string; readonly cause?: unknown }

/**
 * The manifest of the installed runtime, read synchronously: engine selection and
 * `MicroVm.build()` are synchronous steps. Never throws: a missing or invalid manifest is a value.
 *
 * @since 0.1.0
 * @category io
 */
export const readInstalled = (cacheDir: string = defaultCacheDir()): InstalledRead => {
  const path = cachePaths(cacheDir).manifest
  const result = Effect.runSync(Effect.result(read(path)))
  return Result.isSuccess(result)
    ? { _tag: "Found", path, manifest: result.success }
    : { _tag: "Missing", path, reason: result.failure.problem, cause: result.failure }
}
