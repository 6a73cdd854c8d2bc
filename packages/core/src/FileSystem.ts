/**
 * The one piece of I/O validation needs: what kind of thing is at a host
 * path. A service, so tests can swap the real filesystem for a table.
 *
 * The live layer uses synchronous `node:fs` calls, so
 * `Effect.runSync(MicroVmConfig.validate(cfg).pipe(Effect.provide(FileSystem.layer)))`
 * works.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { Context, Effect, Layer } from "effect"

/**
 * What `stat` found at a path. `Inaccessible` carries the errno code
 * (e.g. `EACCES`, `ELOOP`, `ENOTDIR`).
 *
 * @since 0.1.0
 * @category models
 */
export type PathKind =
  | { readonly _tag: "Directory" }
  | { readonly _tag: "File" }
  | { readonly _tag: "Other" }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Inaccessible"; readonly code: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface FileSystemShape {
  /** Follows symlinks, like the original's `Path::exists`. Never fails. */
  readonly kind: (path: string) => Effect.Effect<PathKind>
}

/**
 * @since 0.1.0
 * @category services
 */
export class FileSystem extends Context.Service<FileSystem, FileSystemShape>()("@krunbox/core/FileSystem") {}

const statKind = (path: string): PathKind => {
  try {
    const stats = fs.statSync(path)
    if (stats.isDirectory()) return { _tag: "Directory" }
    if (stats.isFile()) return { _tag: "File" }
    return { _tag: "Other" }
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "UNKNOWN"
    return code === "ENOENT" ? { _tag: "Missing" } : { _tag: "Inaccessible", code }
  }
}

/**
 * The real filesystem, through synchronous `node:fs.statSync`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<FileSystem> = Layer.succeed(FileSystem, {
  kind: (path) => Effect.sync(() => statKind(path))
})

/**
 * What the test filesystem holds at a path: `"directory"` or `"file"`;
 * anything not listed is missing.
 *
 * @since 0.1.0
 * @category models
 */
export type TestEntry = "directory" | "file"

/**
 * A filesystem made of a table of paths; every path not in it is missing.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (entries: Readonly<Record<string, TestEntry>>): Layer.Layer<FileSystem> =>
  Layer.succeed(FileSystem, {
    kind: (path) =>
      Effect.sync((): PathKind => {
        const entry = Object.hasOwn(entries, path) ? entries[path] : undefined
        if (entry === "directory") return { _tag: "Directory" }
        if (entry === "file") return { _tag: "File" }
        return { _tag: "Missing" }
      })
  })
