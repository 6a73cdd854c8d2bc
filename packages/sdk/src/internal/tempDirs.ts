import koffi from "koffi"
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const prefix = "krunbox-"

/**
 * Each VM temp dir holds this file, `flock`ed (exclusively) by the process that owns the dir for
 * as long as it lives. The kernel drops the lock when that process dies, however it dies, and a
 * lock means the same thing in every PID namespace that shares /tmp, where the pid in the dir's
 * name may be another process or none at all.
 */
export const OWNER_LOCK = ".owner.lock"

const LOCK_EX = 2
const LOCK_NB = 4

let flockFunction: ((fd: number, operation: number) => number) | null | undefined

/** libc's flock(2), or null where it cannot be loaded (then the legacy pid check decides). */
const flock = (): ((fd: number, operation: number) => number) | null => {
  if (flockFunction === undefined) {
    try {
      flockFunction = koffi.load("libc.so.6").func("int flock(int fd, int operation)") as (fd: number, operation: number) => number
    } catch {
      flockFunction = null
    }
  }
  return flockFunction
}

/** The owner-lock fd of each temp dir this process made, closed when the dir is removed. */
const ownerLocks = new Map<string, number>()

const holdOwnerLock = (dir: string): void => {
  const lock = flock()
  if (lock === null) return
  let fd: number | undefined
  try {
    fd = openSync(join(dir, OWNER_LOCK), "w", 0o600)
    if (lock(fd, LOCK_EX | LOCK_NB) === 0) {
      ownerLocks.set(dir, fd)
      return
    }
  } catch {
    // no lock: the dir is then judged by its age and pid, as before locks existed
  }
  if (fd !== undefined) closeSync(fd)
}

/**
 * A per-VM temp dir named after this process (`krunbox-<pid>-XXXXXX`) and holding its
 * {@link OWNER_LOCK}, so that a dir left behind by a parent that was SIGKILLed can be recognised
 * and removed by the next krunbox process.
 */
export const makeVmTempDir = (): string => {
  sweepStaleTempDirsOnce()
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`))
  holdOwnerLock(dir)
  return dir
}

/** Removes a tree (and gives up its owner lock); never throws (cleanup runs on error paths too). */
export const removeTree = (path: string): void => {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 })
  } catch {
    // best effort: a leftover here is reported by the next sweep, not by crashing the caller
  }
  const fd = ownerLocks.get(path)
  if (fd !== undefined) {
    ownerLocks.delete(path)
    closeSync(fd)
  }
}

/**
 * Whether the dir's owner still lives: true while someone holds its owner lock, false when the
 * lock can be taken, undefined when there is no lock to ask (no lock file, or no flock here).
 */
const ownerAlive = (dir: string): boolean | undefined => {
  const lock = flock()
  if (lock === null) return undefined
  let fd: number
  try {
    fd = openSync(join(dir, OWNER_LOCK), "r")
  } catch {
    return undefined
  }
  try {
    // a separate open file description: this process's own lock conflicts with it too
    return lock(fd, LOCK_EX | LOCK_NB) !== 0
  } finally {
    closeSync(fd)
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A dir without a lock this young may be one whose owner is between mkdtemp and its lock. */
const LOCKLESS_GRACE_MS = 60_000

let swept = false

const vmDirPattern = /^krunbox-(\d+)-[A-Za-z0-9]{6}$/

/**
 * Whether a VM temp dir's owner is gone: decided by its owner lock; only a dir without one (made
 * by a krunbox before the lock existed) falls back to its age and the pid in its name, which is
 * right only within one PID namespace.
 */
const isStaleDir = (dir: string, pid: number): boolean => {
  const alive = ownerAlive(dir)
  if (alive !== undefined) return !alive
  try {
    if (Date.now() - statSync(dir).mtimeMs < LOCKLESS_GRACE_MS) return false
  } catch {
    return false
  }
  return pid !== process.pid && !isAlive(pid)
}

const listDir = (dir: string): ReadonlyArray<string> => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * Removes what VMs of dead krunbox processes left: their `krunbox-<pid>-*` temp dirs and the
 * gvisor engine's empty `krunbox/krunbox-<pid>-*` cgroups (a SIGKILLed parent cleans nothing).
 * A cgroup goes with its temp dir (rmdir refuses a cgroup that still holds a process).
 */
export const sweepStaleTempDirs = (): ReadonlyArray<string> => {
  const removed: Array<string> = []
  for (const entry of listDir(tmpdir())) {
    const match = vmDirPattern.exec(entry)
    if (match === null || !isStaleDir(join(tmpdir(), entry), Number(match[1]))) continue
    removeTree(join(tmpdir(), entry))
    removed.push(join(tmpdir(), entry))
  }
  const cgroupRoot = "/sys/fs/cgroup"
  for (const base of [cgroupRoot, ...listDir(cgroupRoot).map((entry) => join(cgroupRoot, entry))]) {
    for (const entry of listDir(join(base, "krunbox"))) {
      const match = vmDirPattern.exec(entry)
      if (match === null || ownerLocks.has(join(tmpdir(), entry))) continue
      const tempDir = join(tmpdir(), entry)
      const pid = Number(match[1])
      // without its temp dir here (another TMPDIR, or swept already) only the pid can tell
      const stale = existsSync(tempDir) ? isStaleDir(tempDir, pid) : pid !== process.pid && !isAlive(pid)
      if (!stale) continue
      try {
        rmdirSync(join(base, "krunbox", entry))
        removed.push(join(base, "krunbox", entry))
      } catch {
        // still holds a process, or not a cgroup we may remove
      }
    }
  }
  return removed
}

const sweepStaleTempDirsOnce = (): void => {
  if (swept) return
  swept = true
  sweepStaleTempDirs()
}
