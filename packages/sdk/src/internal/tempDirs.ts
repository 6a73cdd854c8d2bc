import { mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const prefix = "krunbox-"

/**
 * A per-VM temp dir named after this process (`krunbox-<pid>-XXXXXX`), so that dirs left behind by
 * a parent that was SIGKILLed can be recognised and removed by the next krunbox process.
 */
export const makeVmTempDir = (): string => {
  sweepStaleTempDirsOnce()
  return mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`))
}

/** Removes a tree; never throws (cleanup runs on error paths too). */
export const removeTree = (path: string): void => {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 })
  } catch {
    // best effort: a leftover here is reported by the next sweep, not by crashing the caller
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

let swept = false

const vmDirPattern = /^krunbox-(\d+)-[A-Za-z0-9]{6}$/

const isStale = (entry: string): boolean => {
  const match = vmDirPattern.exec(entry)
  if (match === null) return false
  const pid = Number(match[1])
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
 */
export const sweepStaleTempDirs = (): ReadonlyArray<string> => {
  const removed: Array<string> = []
  for (const entry of listDir(tmpdir())) {
    if (!isStale(entry)) continue
    removeTree(join(tmpdir(), entry))
    removed.push(join(tmpdir(), entry))
  }
  const cgroupRoot = "/sys/fs/cgroup"
  for (const base of [cgroupRoot, ...listDir(cgroupRoot).map((entry) => join(cgroupRoot, entry))]) {
    for (const entry of listDir(join(base, "krunbox"))) {
      if (!isStale(entry)) continue
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
