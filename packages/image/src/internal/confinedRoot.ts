/**
 * The only way the unpacker touches the file system. A place inside the layer root is named by
 * its *real* components (what {@link ConfinedRoot.resolveDir} returns: no symlinks, no `..`),
 * and every operation re-checks, with `lstat` right before it runs, that each of those
 * components is still a directory and not a symlink. The operation itself never follows a
 * symlink in its last component either (`lstat`, `unlink`/`rm`, `mkdir`, `symlink`, `link`,
 * `open(O_CREAT|O_EXCL|O_NOFOLLOW)`, `lchown`, `lutimes`, and `O_NOFOLLOW|O_DIRECTORY` fds
 * for directory metadata). So no step — immediate or deferred — can act on a path string
 * resolved earlier and since redirected by a symlink the layer planted.
 *
 * Node has no `openat`, hence the re-walk instead of directory fds. The walk and the operation
 * are not atomic, but only the unpacking process writes below a private unpack directory, so
 * nothing can swap a component in between (docs/images.md, "Containment").
 *
 * @internal
 */
import * as fs from "node:fs"

const maxSymlinkHops = 40
const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = fs.constants

/** An archive that tries to act outside its root, or through a place it changed; `reason` says how. */
export class EscapeAttempt extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** Real components of a directory inside the root (`[]` is the root itself). */
export type RealDir = ReadonlyArray<string>

const lstatOrUndefined = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined
    throw error
  }
}

export const joinReal = (dir: RealDir, name?: string): string => {
  const parts = name === undefined ? dir : [...dir, name]
  return parts.join("/")
}

export class ConfinedRoot {
  constructor(readonly root: string) {}

  /**
   * The absolute path of `dir` after checking, now, that every component is a real directory;
   * undefined when one is missing or is no longer a directory (replaced by a file or symlink).
   */
  existingDir(dir: RealDir): string | undefined {
    let current = this.root
    for (const part of dir) {
      current = `${current}/${part}`
      const stat = lstatOrUndefined(current)
      if (stat === undefined || !stat.isDirectory()) return undefined
    }
    return current
  }

  /** Like {@link existingDir}, for a directory that must be there: anything else is an escape attempt. */
  dir(dir: RealDir): string {
    const found = this.existingDir(dir)
    if (found === undefined) throw new EscapeAttempt(`/${joinReal(dir)} is no longer a directory inside the root`)
    return found
  }

  /** The absolute path of `name` in `dir`, its parents checked now; only for no-follow operations. */
  private child(dir: RealDir, name: string): string {
    return `${this.dir(dir)}/${name}`
  }

  /**
   * Resolves archive components of a directory to real components, following symlinks the way
   * the guest will see them: an absolute target restarts at the root, `..` never climbs above
   * it (refused), at most 40 hops. With `create`, missing directories are made (0755, like
   * Docker); otherwise undefined when one is missing or is not a directory.
   */
  resolveDir(components: ReadonlyArray<string>, create: boolean): Array<string> | undefined {
    const real: Array<string> = []
    const pending = [...components]
    let hops = 0
    // the walk is its own check: each component is lstat-ed as it is reached, under a prefix
    // that was checked one step earlier (and nothing but this walk ran in between)
    let current = this.root
    while (pending.length > 0) {
      const part = pending.shift()!
      if (part === "" || part === ".") continue
      if (part === "..") {
        if (real.length === 0) throw new EscapeAttempt("a symlinked parent climbs out of the root")
        real.pop()
        current = real.length === 0 ? this.root : `${this.root}/${joinReal(real)}`
        continue
      }
      const candidate = `${current}/${part}`
      const stat = lstatOrUndefined(candidate)
      if (stat === undefined) {
        if (!create) return undefined
        fs.mkdirSync(candidate, { mode: 0o755 })
        real.push(part)
        current = candidate
      } else if (stat.isDirectory()) {
        real.push(part)
        current = candidate
      } else if (stat.isSymbolicLink()) {
        if (++hops > maxSymlinkHops) throw new EscapeAttempt("too many levels of symbolic links in a parent")
        const target = fs.readlinkSync(candidate)
        if (target.startsWith("/")) {
          real.length = 0
          current = this.root
        }
        pending.unshift(...target.split("/"))
      } else if (create) {
        throw new EscapeAttempt(`parent /${joinReal(real, part)} is not a directory`)
      } else {
        return undefined
      }
    }
    return real
  }

  lstat(dir: RealDir, name: string): fs.Stats | undefined {
    return lstatOrUndefined(this.child(dir, name))
  }

  readdir(dir: RealDir): Array<string> {
    return fs.readdirSync(this.dir(dir))
  }

  /** Removes `name` (a whole tree for a directory; `rm` never follows symlinks inside it). */
  remove(dir: RealDir, name: string, stat: fs.Stats): void {
    fs.rmSync(this.child(dir, name), { recursive: stat.isDirectory(), force: true })
  }

  mkdir(dir: RealDir, name: string): void {
    fs.mkdirSync(this.child(dir, name), { mode: 0o755 })
  }

  symlink(dir: RealDir, name: string, target: string): void {
    fs.symlinkSync(target, this.child(dir, name))
  }

  /** `link(2)`: a symlink source becomes a second name of the symlink itself, never of its target. */
  link(sourceDir: RealDir, sourceName: string, dir: RealDir, name: string): void {
    fs.linkSync(this.child(sourceDir, sourceName), this.child(dir, name))
  }

  /** Creates a new file; O_EXCL|O_NOFOLLOW never writes through whatever might sit there. */
  createFile(dir: RealDir, name: string): number {
    return fs.openSync(this.child(dir, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
  }

  lchown(dir: RealDir, name: string, uid: number, gid: number): void {
    fs.lchownSync(this.child(dir, name), uid, gid)
  }

  lutimes(dir: RealDir, name: string, mtime: number): void {
    fs.lutimesSync(this.child(dir, name), mtime, mtime)
  }

  /** chmod of a file or directory, refusing a symlink (whose chmod would change its target). */
  chmodNoFollow(dir: RealDir, name: string, mode: number): void {
    const target = this.child(dir, name)
    const stat = lstatOrUndefined(target)
    if (stat === undefined) return
    if (stat.isSymbolicLink()) throw new EscapeAttempt(`/${joinReal(dir, name)} is a symlink`)
    fs.chmodSync(target, mode)
  }

  /**
   * Runs `fn` with a descriptor of the directory `dir` (checked now, opened `O_NOFOLLOW`), for
   * `fchmod`/`futimes`/`fchown`; does nothing when it is gone or no longer a directory.
   */
  withDirFd(dir: RealDir, fn: (fd: number) => void): void {
    const found = this.existingDir(dir)
    if (found === undefined) return
    const fd = fs.openSync(found, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    try {
      fn(fd)
    } finally {
      fs.closeSync(fd)
    }
  }
}
