import { mkdtempSync, readdirSync, rmSync } from "node:fs"
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

/** Removes `krunbox-<pid>-*` temp dirs whose owning process is gone. */
export const sweepStaleTempDirs = (): ReadonlyArray<string> => {
  const removed: Array<string> = []
  let entries: Array<string>
  try {
    entries = readdirSync(tmpdir())
  } catch {
    return removed
  }
  for (const entry of entries) {
    const match = /^krunbox-(\d+)-[A-Za-z0-9]{6}$/.exec(entry)
    if (match === null) continue
    const pid = Number(match[1])
    if (pid === process.pid || isAlive(pid)) continue
    removeTree(join(tmpdir(), entry))
    removed.push(entry)
  }
  return removed
}

const sweepStaleTempDirsOnce = (): void => {
  if (swept) return
  swept = true
  sweepStaleTempDirs()
}
