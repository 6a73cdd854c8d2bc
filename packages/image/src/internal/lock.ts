/**
 * Cross-process exclusive locks: a file created with O_EXCL holding the owner's stamp (owner.ts)
 * and a token, kept fresh by a heartbeat while it is held. A lock whose owner is dead is taken
 * over; one whose owner lives (in this PID namespace or, by its heartbeat, in another) is not.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { ownerAlive, ownStamp, readStampFile, startHeartbeat } from "./owner.js"

/** A lock file that never got its stamp (its creator died between create and write). */
const unstampedStaleMs = 60_000

/** Whether the lock at `lockPath` is held by a live owner (false when there is no lock). */
export const lockHeld = (lockPath: string): boolean => {
  const held = readStampFile(lockPath)
  if (held !== undefined) return ownerAlive(held.stamp, held.touchedMs)
  try {
    return Date.now() - fs.statSync(lockPath).mtimeMs < unstampedStaleMs
  } catch {
    return false
  }
}

const tryAcquire = (lockPath: string, token: string): boolean => {
  try {
    fs.writeFileSync(lockPath, `${JSON.stringify({ ...ownStamp(), token })}\n`, { flag: "wx", mode: 0o600 })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
  }
  if (!lockHeld(lockPath)) {
    // the owner died holding it; renaming first makes sure only one taker wins
    const stale = `${lockPath}.stale-${token}`
    try {
      fs.renameSync(lockPath, stale)
      fs.rmSync(stale, { force: true })
    } catch {
      // someone else took it over first
    }
  }
  return false
}

const release = (lockPath: string, token: string): void => {
  try {
    if (fs.readFileSync(lockPath, "utf8").includes(token)) fs.rmSync(lockPath, { force: true })
  } catch {
    // already gone
  }
}

/**
 * Takes the lock when it is free (or its owner is dead) and returns its release function;
 * undefined when a live owner holds it.
 */
export const tryFileLock = (lockPath: string): (() => void) | undefined => {
  const token = randomBytes(8).toString("hex")
  // a dead owner's lock is removed by the first attempt and taken by the second
  if (!tryAcquire(lockPath, token) && !tryAcquire(lockPath, token)) return undefined
  const stopHeartbeat = startHeartbeat(lockPath)
  return () => {
    stopHeartbeat()
    release(lockPath, token)
  }
}

/** Runs `fn` while holding the lock file; waits (polling) while another live owner holds it. */
export const withFileLock = async <A>(lockPath: string, fn: () => Promise<A>): Promise<A> => {
  let unlock: (() => void) | undefined
  while ((unlock = tryFileLock(lockPath)) === undefined) await sleep(50)
  try {
    return await fn()
  } finally {
    unlock()
  }
}
