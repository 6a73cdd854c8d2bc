/**
 * `krunbox setup`: obtain, cache, verify and record the native runtime (guest init, libkrun,
 * libkrunfw, default rootfs, runsc). Every step is idempotent; the manifest is written last.
 *
 * Environment:
 * - `KRUNBOX_CACHE_DIR` / `XDG_CACHE_HOME`: where the cache lives (default `~/.cache/krunbox`).
 * - `KRUNBOX_BUILD_LIBKRUN=1`: build libkrun even when the system has one (a system libkrun
 *   embeds its own init, so guests send no readiness signal).
 * - `KRUNBOX_KEEP_BUILD=1`: keep cargo's target dir (GBs) under `build/` after building libkrun.
 * - `KRUNBOX_DEBIAN_ARCHIVE=<uri>`: the Debian archive to fetch libkrunfw5 and busybox-static from,
 *   when it cannot be derived from the system's apt sources.
 * - `KRUNBOX_INIT_SOURCE_DIR`: where the guest init's C sources are (default: found beside the SDK).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Exit, Option } from "effect"
import { cachePaths, type CachePaths, defaultCacheDir } from "./CachePaths.js"
import { PrivateApt } from "./internal/apt.js"
import { exists, withLock } from "./internal/files.js"
import { ensureInit, expectedInitPath, initSourceDir, initSourceSha } from "./internal/initStep.js"
import { ensureLibkrun } from "./internal/libkrunStep.js"
import { ensureLibkrunfw } from "./internal/libkrunfwStep.js"
import type { ProgressListener, SetupProgress, SetupStep, StepContext } from "./internal/progress.js"
import { ensureRootfs } from "./internal/rootfsStep.js"
import { pruneSuperseded } from "./internal/prune.js"
import { ensureRunsc } from "./internal/runscStep.js"
import * as Manifest from "./Manifest.js"
import type { SetupError } from "./SetupError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type { SetupProgress, SetupStep, ProgressListener }
/**
 * @since 0.1.0
 * @category models
 */
export type { RuntimeManifest, LibkrunEntry, LibkrunfwEntry, InitEntry, RootfsEntry, RunscEntry } from "./Manifest.js"
/**
 * The typed errors setup fails with (each has `_tag`, and `fix`, which is also its `hint`).
 *
 * @since 0.1.0
 * @category errors
 */
export * as Errors from "./SetupError.js"
/**
 * @since 0.1.0
 * @category paths
 */
export { defaultCacheDir, cachePaths, type CachePaths }

/**
 * @since 0.1.0
 * @category models
 */
export interface SetupOptions {
  /** Receives `{ step, status, detail }` for every step (and cargo's/apt's output lines). */
  readonly onProgress?: ProgressListener
  /** Rebuild and refetch everything that setup makes itself (system libraries are still used). */
  readonly force?: boolean
  /** Cache root; default {@link defaultCacheDir}. */
  readonly cacheDir?: string
}

/**
 * The Effect behind {@link run}: fails with a typed {@link SetupError}.
 *
 * @since 0.1.0
 * @category effects
 */
export const runEffect = (options: SetupOptions = {}): Effect.Effect<Manifest.RuntimeManifest, SetupError> => {
  const paths = cachePaths(options.cacheDir ?? defaultCacheDir())
  const ctx: StepContext = { force: options.force ?? false, emit: options.onProgress ?? (() => {}) }
  return withLock(
    paths.lock,
    Effect.gen(function* () {
      // one private apt dir per run, created (and its lists updated) only when a step needs it
      let apt: PrivateApt | undefined
      const privateApt = (neededFor: string) =>
        apt !== undefined ? Effect.succeed(apt) : PrivateApt.make(paths, neededFor).pipe(Effect.tap((a) => Effect.sync(() => (apt = a))))
      const init = yield* ensureInit(paths, ctx)
      const libkrun = yield* ensureLibkrun(paths, ctx, init.entry)
      const libkrunfw = yield* ensureLibkrunfw(paths, ctx, privateApt("libkrunfw (Debian package libkrunfw5)"))
      const rootfs = yield* ensureRootfs(paths, ctx, privateApt("the default rootfs (Debian package busybox-static)"))
      const runsc = yield* ensureRunsc(ctx).pipe(
        Effect.catch((error) =>
          Effect.sync(() => {
            // the libkrun engine works without gVisor: record its absence and say how to fix it
            ctx.emit({ step: "runsc", status: "skip", detail: error.message, error })
            return null
          })
        )
      )
      const manifest: Manifest.RuntimeManifest = {
        schema: 1,
        libkrun: libkrun.entry,
        libkrunfw,
        init: { ...init.entry, embeddedInLibkrun: libkrun.embedsOurInit },
        rootfs,
        runsc
      }
      yield* Manifest.write(paths.manifest, manifest)
      yield* Effect.sync(() => pruneSuperseded(paths, manifest))
      return manifest
    })
  )
}

/**
 * Runs every setup step (each skipped when already done) and returns the manifest.
 * Rejects with the typed {@link SetupError} itself (`_tag`, what is missing, `hint`: the fix).
 *
 * @since 0.1.0
 * @category setup
 */
export const run = (options: SetupOptions = {}): Promise<Manifest.RuntimeManifest> => Effect.runPromise(runEffect(options))

/**
 * Why the cached runtime is not usable as it is (empty when it is).
 *
 * @since 0.1.0
 * @category setup
 */
export const staleReasons = (manifest: Manifest.RuntimeManifest, paths: CachePaths): Array<string> => {
  const reasons: Array<string> = []
  for (const [name, file] of [
    ["libkrun", manifest.libkrun.path],
    ["libkrunfw", manifest.libkrunfw.path],
    ["init", manifest.init.path],
    ["rootfs /bin/busybox", path.join(manifest.rootfs.path, "bin", "busybox")]
  ] as const) {
    if (!exists(file)) reasons.push(`${name} missing: ${file}`)
  }
  // a changed init source means a new init (and, for a built libkrun, a rebuild embedding it)
  const sources = Effect.runSync(Effect.option(initSourceDir()))
  if (Option.isSome(sources)) {
    try {
      const expected = expectedInitPath(paths, initSourceSha(sources.value))
      if (expected !== manifest.init.path) reasons.push(`init sources changed (expected ${expected})`)
    } catch {
      reasons.push(`init sources unreadable in ${sources.value}`)
    }
  }
  return reasons
}

/**
 * Reads `runtime.json` (without running anything); rejects with `ManifestInvalid` when it is
 * missing or malformed.
 *
 * @since 0.1.0
 * @category setup
 */
export const load = (options: { readonly cacheDir?: string } = {}): Promise<Manifest.RuntimeManifest> =>
  Effect.runPromise(Manifest.read(cachePaths(options.cacheDir ?? defaultCacheDir()).manifest))

/**
 * The cheap "already done?" check used on first need: returns the manifest when the cache is
 * complete and current, else runs {@link run}.
 *
 * @since 0.1.0
 * @category setup
 */
export const ensure = async (options: SetupOptions = {}): Promise<Manifest.RuntimeManifest> => {
  const paths = cachePaths(options.cacheDir ?? defaultCacheDir())
  if (options.force !== true && fs.existsSync(paths.manifest)) {
    const exit = await Effect.runPromiseExit(Manifest.read(paths.manifest))
    if (Exit.isSuccess(exit) && staleReasons(exit.value, paths).length === 0) return exit.value
  }
  return run(options)
}
