/**
 * Applies OCI layer tar streams, in order, onto one directory: whiteouts (`.wh.<name>`) and
 * opaque directories (`.wh..wh..opq`) remove what lower layers put there; modes, ownership
 * (when root), symlinks, hardlinks and mtimes are preserved. Every entry is resolved inside the
 * root: names with `..` that climb out, symlinked parents that point out (relative targets
 * climbing above the root) and hardlinks to outside are rejected. Absolute symlink targets in
 * parents are resolved against the root, as the guest will see them.
 *
 * File operations are synchronous on purpose: thousands of small files are written much faster
 * than through the thread pool, and the event loop still runs between decompressed chunks.
 *
 * @internal
 */
import * as fs from "node:fs"
import { CorruptLayer, isImageError, UnsafeArchiveEntry } from "../errors.js"
import { fromFsError } from "./fsErrors.js"
import type { TarEntry } from "./tar.js"
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
const maxSymlinkHops = 40

interface DirMeta {
  mode: number
  mtime: number
  uid: number
  gid: number
}

class Unsafe extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** Splits an archive name into clean components; throws when `..` climbs out of the root. */
const cleanComponents = (name: string): Array<string> => {
  const out: Array<string> = []
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") {
      if (out.length === 0) throw new Unsafe("the name climbs out of the root with ..")
      out.pop()
    } else out.push(part)
  }
  return out
}

const isMissing = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR")

const lstatOrUndefined = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
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
 * Builds one flattened root file system from a sequence of layers.
 */
export class RootfsBuilder {
  private readonly dirMeta = new Map<string, DirMeta>()
  /** parent path as named in the archive -> resolved real path relative to the root */
  private readonly parentCache = new Map<string, string>()
  private readonly preserveOwnership: boolean

  constructor(
    readonly root: string,
    options: { readonly preserveOwnership: boolean }
  ) {
    this.preserveOwnership = options.preserveOwnership
  }

  private abs(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`
  }

  /**
   * Resolves a directory path inside the root, following symlinks with the root as `/`.
   * With `create`, missing directories are made (mode 0755, like Docker); otherwise returns
   * undefined when something is missing.
   */
  private resolveDir(components: ReadonlyArray<string>, create: boolean): string | undefined {
    const key = components.join("/")
    const cached = this.parentCache.get(key)
    if (cached !== undefined) return cached
    const real: Array<string> = []
    const pending = [...components]
    let hops = 0
    while (pending.length > 0) {
      const part = pending.shift()!
      if (part === "" || part === ".") continue
      if (part === "..") {
        if (real.length === 0) throw new Unsafe("a symlinked parent climbs out of the root")
        real.pop()
        continue
      }
      const candidateRel = [...real, part].join("/")
      const candidate = this.abs(candidateRel)
      const stat = lstatOrUndefined(candidate)
      if (stat === undefined) {
        if (!create) return undefined
        fs.mkdirSync(candidate, { mode: 0o755 })
        real.push(part)
      } else if (stat.isDirectory()) {
        real.push(part)
      } else if (stat.isSymbolicLink()) {
        if (++hops > maxSymlinkHops) throw new Unsafe("too many levels of symbolic links in a parent")
        const target = fs.readlinkSync(candidate)
        if (target.startsWith("/")) real.length = 0
        pending.unshift(...target.split("/"))
      } else {
        throw new Unsafe(`parent /${candidateRel} is not a directory`)
      }
    }
    const resolved = real.join("/")
    this.parentCache.set(key, resolved)
    return resolved
  }

  /** Removes a path (recursively for directories) and forgets what was known below it. */
  private remove(rel: string, stat: fs.Stats): void {
    fs.rmSync(this.abs(rel), { recursive: stat.isDirectory(), force: true })
    if (stat.isDirectory() || stat.isSymbolicLink()) this.parentCache.clear()
    if (stat.isDirectory()) {
      const prefix = `${rel}/`
      for (const key of this.dirMeta.keys()) if (key === rel || key.startsWith(prefix)) this.dirMeta.delete(key)
    }
  }

  private applyOwnership(target: string, entry: TarEntry): void {
    if (this.preserveOwnership) fs.lchownSync(target, entry.uid, entry.gid)
  }

  private opaque(dirRel: string, writtenThisLayer: ReadonlySet<string>): void {
    const dir = this.abs(dirRel)
    let children: Array<string>
    try {
      children = fs.readdirSync(dir)
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    for (const child of children) {
      const childRel = dirRel === "" ? child : `${dirRel}/${child}`
      const stat = fs.lstatSync(this.abs(childRel))
      if (!writtenThisLayer.has(childRel)) this.remove(childRel, stat)
      else if (stat.isDirectory()) this.opaque(childRel, writtenThisLayer)
    }
  }

  /**
   * Applies one layer (an uncompressed tar stream).
   *
   * @throws UnsafeArchiveEntry, CorruptLayer, DiskFull, ImageStoreIoError
   */
  async applyLayer(source: AsyncIterable<Buffer | Uint8Array>, layerName: string): Promise<LayerStats> {
    const written = new Set<string>()
    const pendingOpaque: Array<string> = []
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
          const parentRel = this.resolveDir(parentComponents, false)
          if (parentRel === undefined) continue
          if (base === opaqueMarker) {
            // entries of this layer may still follow in the same directory: apply at the end
            pendingOpaque.push(parentRel)
            continue
          }
          const hidden = base.slice(whiteoutPrefix.length)
          if (hidden === "" || hidden === "." || hidden === "..") throw new Unsafe(`invalid whiteout name ${base}`)
          const hiddenRel = parentRel === "" ? hidden : `${parentRel}/${hidden}`
          // a whiteout only hides lower layers, never entries of its own layer
          if (written.has(hiddenRel)) continue
          const stat = lstatOrUndefined(this.abs(hiddenRel))
          if (stat !== undefined) this.remove(hiddenRel, stat)
          continue
        }

        const parentRel = this.resolveDir(parentComponents, true)!
        const rel = parentRel === "" ? base : `${parentRel}/${base}`
        const target = this.abs(rel)
        currentPath = target
        const existing = lstatOrUndefined(target)

        switch (entry.type) {
          case "directory": {
            if (existing !== undefined && !existing.isDirectory()) this.remove(rel, existing)
            if (existing === undefined || !existing.isDirectory()) fs.mkdirSync(target, { mode: 0o755 })
            this.applyOwnership(target, entry)
            this.dirMeta.set(rel, { mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid })
            break
          }
          case "file": {
            if (existing !== undefined) this.remove(rel, existing)
            // "wx" is O_CREAT|O_EXCL: it never follows a symlink planted at the target
            const fd = fs.openSync(target, "wx", 0o600)
            try {
              for await (const chunk of entry.body) {
                let offset = 0
                while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset)
                bytes += chunk.length
              }
              if (this.preserveOwnership) fs.fchownSync(fd, entry.uid, entry.gid)
              fs.fchmodSync(fd, entry.mode)
              fs.futimesSync(fd, entry.mtime, entry.mtime)
            } finally {
              fs.closeSync(fd)
            }
            files++
            break
          }
          case "symlink": {
            if (existing !== undefined) this.remove(rel, existing)
            fs.symlinkSync(entry.linkname, target)
            this.applyOwnership(target, entry)
            fs.lutimesSync(target, entry.mtime, entry.mtime)
            break
          }
          case "hardlink": {
            const linkComponents = cleanComponents(entry.linkname)
            if (linkComponents.length === 0) throw new Unsafe("a hardlink to the root directory")
            const linkParent = this.resolveDir(linkComponents.slice(0, -1), false)
            const linkRel =
              linkParent === undefined
                ? undefined
                : linkParent === ""
                  ? linkComponents[linkComponents.length - 1]!
                  : `${linkParent}/${linkComponents[linkComponents.length - 1]!}`
            const linkStat = linkRel === undefined ? undefined : lstatOrUndefined(this.abs(linkRel))
            if (linkRel === undefined || linkStat === undefined) {
              throw new Unsafe(`hardlink target ${JSON.stringify(entry.linkname)} does not exist in the layers so far`)
            }
            if (linkStat.isDirectory()) throw new Unsafe("a hardlink to a directory")
            if (linkRel === rel) break
            if (existing !== undefined) this.remove(rel, existing)
            fs.linkSync(this.abs(linkRel), target)
            break
          }
          default: {
            // char/block devices and FIFOs: the engines mount their own /dev; "other" has no meaning
            skippedSpecial++
            if (existing !== undefined && !existing.isDirectory()) this.remove(rel, existing)
            continue
          }
        }
        markWritten(written, rel)
      }
      for (const dirRel of pendingOpaque) this.opaque(dirRel, written)
    } catch (error) {
      if (error instanceof Unsafe) {
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

  /** Sets directory modes and mtimes, deepest first, once no more entries will be written. */
  finish(): void {
    const dirs = [...this.dirMeta.entries()].sort((a, b) => b[0].length - a[0].length)
    for (const [rel, meta] of dirs) {
      const target = this.abs(rel)
      const stat = lstatOrUndefined(target)
      if (stat === undefined || !stat.isDirectory()) continue
      try {
        if (rel === "" && this.preserveOwnership) fs.chownSync(target, meta.uid, meta.gid)
        fs.chmodSync(target, meta.mode)
        fs.utimesSync(target, meta.mtime, meta.mtime)
      } catch (error) {
        throw fromFsError(error, target, "setting the mode of")
      }
    }
  }
}

/** Exposed for tests: the clean components of an archive name, or the reason it is unsafe. */
export const archiveNameComponents = (name: string): Array<string> | string => {
  try {
    return cleanComponents(name)
  } catch (error) {
    return (error as Unsafe).reason
  }
}
