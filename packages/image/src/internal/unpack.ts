/**
 * Applies OCI layer tar streams, in order, onto one directory: whiteouts (`.wh.<name>`) and
 * opaque directories (`.wh..wh..opq`) remove what lower layers put there; modes, ownership
 * (when root), symlinks, hardlinks and mtimes are preserved. Every entry is resolved inside the
 * root: names with `..` that climb out, symlinked parents that point out (relative targets
 * climbing above the root) and hardlinks to outside are rejected. Absolute symlink targets in
 * parents are resolved against the root, as the guest will see them. Every file system step,
 * including the opaque clean-up and the final directory modes, goes through ConfinedRoot and
 * never follows a symlink the layer planted.
 *
 * File operations are synchronous on purpose: thousands of small files are written much faster
 * than through the thread pool, and the event loop still runs between decompressed chunks.
 *
 * @internal
 */
import * as fs from "node:fs"
import { CorruptLayer, isImageError, UnsafeArchiveEntry } from "../errors.js"
import { ConfinedRoot, EscapeAttempt, joinReal, type RealDir } from "./confinedRoot.js"
import { fromFsError } from "./fsErrors.js"
import { readTar, TarFormatError } from "./tar.js"

export interface LayerStats {
  readonly entries: number
  readonly files: number
  readonly bytes: number
  readonly whiteouts: number
  /** device nodes and FIFOs are not created (the engines provide /dev); they are counted here */
  readonly skippedSpecial: number
}

const whiteoutPrefix = ".wh."
const opaqueMarker = ".wh..wh..opq"

interface DirMeta {
  mode: number
  mtime: number
  uid: number
  gid: number
}

/** Splits an archive name into clean components; throws when `..` climbs out of the root. */
const cleanComponents = (name: string): Array<string> => {
  const out: Array<string> = []
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") {
      if (out.length === 0) throw new EscapeAttempt("the name climbs out of the root with ..")
      out.pop()
    } else out.push(part)
  }
  return out
}

/** zlib reports Z_DATA_ERROR / Z_BUF_ERROR, zstd ZSTD_error_*, streams ERR_* */
const isDecompressionError = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "code" in error &&
  typeof error.code === "string" &&
  (error.code.startsWith("Z_") || error.code.startsWith("ZSTD_") || error.code.startsWith("ERR_"))

/** Records a path and its ancestors as written by the current layer (an opaque marker keeps them). */
const markWritten = (written: Set<string>, rel: string): void => {
  let current = rel
  while (current !== "" && !written.has(current)) {
    written.add(current)
    const slash = current.lastIndexOf("/")
    current = slash === -1 ? "" : current.slice(0, slash)
  }
}

/**
 * Builds one flattened root file system from a sequence of layers. Every file system step goes
 * through {@link ConfinedRoot}, which re-checks the real parent directories right before it.
 */
export class RootfsBuilder {
  /** directory metadata applied by finish(), keyed by real path relative to the root */
  private readonly dirMeta = new Map<string, DirMeta>()
  private readonly preserveOwnership: boolean
  private readonly keepReadable: boolean
  /** real paths whose stored mode was widened for the owner, with the image's own mode */
  private readonly widenedModes = new Map<string, number>()
  private readonly fs: ConfinedRoot

  /**
   * `keepReadable` (for unprivileged unpacking, whose per-run copies are made by a process
   * that has no CAP_DAC_OVERRIDE): files keep owner read and directories owner read and search
   * permission, whatever the image says, so that the base can be copied; the image's own modes
   * are kept in {@link widenedModes} to be applied to each copy.
   */
  constructor(
    readonly root: string,
    options: { readonly preserveOwnership: boolean; readonly keepReadable?: boolean }
  ) {
    this.preserveOwnership = options.preserveOwnership
    this.keepReadable = options.keepReadable ?? false
    this.fs = new ConfinedRoot(root)
  }

  /** The mode to store for an image mode, recording it when it had to be widened. */
  private storedMode(rel: string, mode: number, ownerNeeds: number): number {
    const stored = this.keepReadable ? mode | ownerNeeds : mode
    if (stored !== mode) this.widenedModes.set(rel, mode)
    else this.widenedModes.delete(rel)
    return stored
  }

  /**
   * Paths (relative to the root, deepest first) whose mode in the unpacked tree was widened for
   * the owner, with the mode the image gives them; empty unless `keepReadable`.
   */
  widenedModesDeepestFirst(): ReadonlyArray<readonly [string, number]> {
    return [...this.widenedModes.entries()].sort((a, b) => b[0].split("/").length - a[0].split("/").length)
  }

  /** Removes `name` in `dir` (recursively for directories) and forgets the metadata below it. */
  private remove(dir: RealDir, name: string, stat: fs.Stats): void {
    this.fs.remove(dir, name, stat)
    const rel = joinReal(dir, name)
    this.widenedModes.delete(rel)
    if (stat.isDirectory()) {
      const prefix = `${rel}/`
      for (const key of this.dirMeta.keys()) if (key === rel || key.startsWith(prefix)) this.dirMeta.delete(key)
      for (const key of this.widenedModes.keys()) if (key.startsWith(prefix)) this.widenedModes.delete(key)
    }
  }

  /**
   * Applies an opaque marker when it is met: empties `dir` of everything this layer has not
   * written so far. What the layer writes there later is created afresh, so the result is the
   * same whatever the order of entries, and no clean-up is left for the end of the layer
   * (a deferred step is where a later symlink swap could redirect it).
   */
  private opaque(dir: RealDir, writtenThisLayer: ReadonlySet<string>): void {
    for (const name of this.fs.readdir(dir)) {
      const stat = this.fs.lstat(dir, name)
      if (stat === undefined) continue
      if (!writtenThisLayer.has(joinReal(dir, name))) this.remove(dir, name, stat)
      else if (stat.isDirectory()) this.opaque([...dir, name], writtenThisLayer)
    }
  }

  /**
   * Applies one layer (an uncompressed tar stream).
   *
   * @throws UnsafeArchiveEntry, CorruptLayer, DiskFull, ImageStoreIoError
   */
  async applyLayer(source: AsyncIterable<Buffer | Uint8Array>, layerName: string): Promise<LayerStats> {
    const written = new Set<string>()
    let entries = 0
    let files = 0
    let bytes = 0
    let whiteouts = 0
    let skippedSpecial = 0
    let currentName = ""
    let currentPath = this.root
    try {
      for await (const entry of readTar(source)) {
        entries++
        currentName = entry.name
        currentPath = this.root
        const components = cleanComponents(entry.name)
        if (components.length === 0) {
          if (entry.type === "directory") this.dirMeta.set("", { mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid })
          continue
        }
        const base = components[components.length - 1]!
        const parentComponents = components.slice(0, -1)

        if (base.startsWith(whiteoutPrefix)) {
          whiteouts++
          if (base !== opaqueMarker) {
            const hidden = base.slice(whiteoutPrefix.length)
            if (hidden === "" || hidden === "." || hidden === "..") throw new EscapeAttempt(`invalid whiteout name ${base}`)
          }
          const parent = this.fs.resolveDir(parentComponents, false)
          if (parent === undefined) continue
          if (base === opaqueMarker) {
            this.opaque(parent, written)
            continue
          }
          const hidden = base.slice(whiteoutPrefix.length)
          // a whiteout only hides lower layers, never entries of its own layer
          if (written.has(joinReal(parent, hidden))) continue
          const stat = this.fs.lstat(parent, hidden)
          if (stat !== undefined) this.remove(parent, hidden, stat)
          continue
        }

        const parent = this.fs.resolveDir(parentComponents, true)!
        const rel = joinReal(parent, base)
        currentPath = `${this.root}/${rel}`
        const existing = this.fs.lstat(parent, base)

        switch (entry.type) {
          case "directory": {
            if (existing !== undefined && !existing.isDirectory()) this.remove(parent, base, existing)
            if (existing === undefined || !existing.isDirectory()) this.fs.mkdir(parent, base)
            if (this.preserveOwnership) this.fs.lchown(parent, base, entry.uid, entry.gid)
            this.dirMeta.set(rel, { mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid })
            break
          }
          case "file": {
            if (existing !== undefined) this.remove(parent, base, existing)
            const fd = this.fs.createFile(parent, base)
            try {
              for await (const chunk of entry.body) {
                let offset = 0
                while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset)
                bytes += chunk.length
              }
              if (this.preserveOwnership) fs.fchownSync(fd, entry.uid, entry.gid)
              fs.fchmodSync(fd, this.storedMode(rel, entry.mode, 0o400))
              fs.futimesSync(fd, entry.mtime, entry.mtime)
            } finally {
              fs.closeSync(fd)
            }
            files++
            break
          }
          case "symlink": {
            if (existing !== undefined) this.remove(parent, base, existing)
            this.fs.symlink(parent, base, entry.linkname)
            if (this.preserveOwnership) this.fs.lchown(parent, base, entry.uid, entry.gid)
            this.fs.lutimes(parent, base, entry.mtime)
            break
          }
          case "hardlink": {
            const linkComponents = cleanComponents(entry.linkname)
            if (linkComponents.length === 0) throw new EscapeAttempt("a hardlink to the root directory")
            const linkName = linkComponents[linkComponents.length - 1]!
            const linkParent = this.fs.resolveDir(linkComponents.slice(0, -1), false)
            const linkStat = linkParent === undefined ? undefined : this.fs.lstat(linkParent, linkName)
            if (linkParent === undefined || linkStat === undefined) {
              throw new EscapeAttempt(`hardlink target ${JSON.stringify(entry.linkname)} does not exist in the layers so far`)
            }
            if (linkStat.isDirectory()) throw new EscapeAttempt("a hardlink to a directory")
            if (joinReal(linkParent, linkName) === rel) break
            if (existing !== undefined) this.remove(parent, base, existing)
            if (this.fs.existingDir(linkParent) === undefined || this.fs.lstat(linkParent, linkName) === undefined) {
              throw new EscapeAttempt(`hardlink target ${JSON.stringify(entry.linkname)} was inside the entry it replaces`)
            }
            this.fs.link(linkParent, linkName, parent, base)
            // a second name of a widened inode: its copy needs the image's mode too
            const widened = this.widenedModes.get(joinReal(linkParent, linkName))
            if (widened !== undefined) this.widenedModes.set(rel, widened)
            break
          }
          default: {
            // char/block devices and FIFOs: the engines mount their own /dev; "other" has no meaning
            skippedSpecial++
            if (existing !== undefined && !existing.isDirectory()) this.remove(parent, base, existing)
            continue
          }
        }
        markWritten(written, rel)
      }
    } catch (error) {
      if (error instanceof EscapeAttempt) {
        throw new UnsafeArchiveEntry({ layer: layerName, entry: currentName, reason: error.reason })
      }
      if (error instanceof TarFormatError) throw new CorruptLayer({ layer: layerName, detail: error.message })
      if (isImageError(error)) throw error
      if (isDecompressionError(error)) {
        throw new CorruptLayer({ layer: layerName, detail: String((error as { message?: unknown }).message) })
      }
      throw fromFsError(error, currentPath, `unpacking layer ${layerName} entry ${currentName} to`)
    }
    return { entries, files, bytes, whiteouts, skippedSpecial }
  }

  /**
   * Sets directory modes and mtimes, deepest first, once no more entries will be written. Each
   * directory is found again through its real components and changed through an O_NOFOLLOW
   * descriptor; one that was replaced meanwhile is skipped.
   */
  finish(): void {
    const dirs = [...this.dirMeta.entries()].sort((a, b) => b[0].length - a[0].length)
    for (const [rel, meta] of dirs) {
      try {
        this.fs.withDirFd(rel === "" ? [] : rel.split("/"), (fd) => {
          if (rel === "" && this.preserveOwnership) fs.fchownSync(fd, meta.uid, meta.gid)
          fs.fchmodSync(fd, this.storedMode(rel, meta.mode, 0o500))
          fs.futimesSync(fd, meta.mtime, meta.mtime)
        })
      } catch (error) {
        throw fromFsError(error, `${this.root}/${rel}`, "setting the mode of")
      }
    }
  }
}

/** Exposed for tests: the clean components of an archive name, or the reason it is unsafe. */
export const archiveNameComponents = (name: string): Array<string> | string => {
  try {
    return cleanComponents(name)
  } catch (error) {
    return (error as EscapeAttempt).reason
  }
}
