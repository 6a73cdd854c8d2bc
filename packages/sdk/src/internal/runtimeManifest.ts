/**
 * The native runtime cache as the engines need it: `src/runtime`'s manifest reader, synchronous
 * (engine selection and `build()` are synchronous steps).
 */
import { Effect, Result } from "effect"
import { cachePaths, defaultCacheDir } from "../runtime/CachePaths.js"
import * as Manifest from "../runtime/Manifest.js"

export const cacheDir = (): string => defaultCacheDir()

export type ManifestRead =
  | { readonly _tag: "Found"; readonly path: string; readonly manifest: Manifest.RuntimeManifest }
  | { readonly _tag: "Missing"; readonly path: string; readonly reason: string; readonly cause?: unknown }

export const readManifest = (): ManifestRead => {
  const path = cachePaths(cacheDir()).manifest
  const result = Effect.runSync(Effect.result(Manifest.read(path)))
  return Result.isSuccess(result)
    ? { _tag: "Found", path, manifest: result.success }
    : { _tag: "Missing", path, reason: result.failure.problem, cause: result.failure }
}
