import type { LibraryProbe, LibrarySource } from "../errors/LibraryNotFound.js"
import type { LibraryHandle } from "./native.js"
import type { VersionSource } from "./version.js"

/** How a library was found and opened: what `Libkrun.load` and `Libkrunfw.load` record. */
export interface LoadedLibraryFields {
  readonly handle: LibraryHandle
  readonly path: string
  readonly realPath: string
  readonly source: LibrarySource
  readonly version: string | undefined
  readonly versionSource: VersionSource | undefined
  readonly probes: ReadonlyArray<LibraryProbe>
}

/**
 * What every loaded library (libkrun, libkrunfw) tells about itself.
 *
 * @since 0.1.0
 * @category models
 */
export abstract class LoadedLibrary {
  /** The file that was loaded (absolute path). */
  readonly path: string
  /** `path` with symlinks resolved, e.g. `.../libkrunfw.so.5.5.0`. */
  readonly realPath: string
  readonly source: LibrarySource
  /**
   * The release (e.g. `"1.19.0"`) when it can be learned: from the manifest, the real file name
   * or, for libkrun, the crates.io paths Rust embeds in the binary; else `undefined`.
   */
  readonly version: string | undefined
  readonly versionSource: VersionSource | undefined
  /** Every candidate discovery tried, ending with the one that loaded. */
  readonly probes: ReadonlyArray<LibraryProbe>
  /** @internal */
  protected readonly handle: LibraryHandle

  /** @internal */
  constructor(fields: LoadedLibraryFields) {
    this.handle = fields.handle
    this.path = fields.path
    this.realPath = fields.realPath
    this.source = fields.source
    this.version = fields.version
    this.versionSource = fields.versionSource
    this.probes = fields.probes
  }
}
