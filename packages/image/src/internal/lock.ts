/**
 * Cross-process exclusive locks as files created with O_EXCL holding the owner's pid. A lock
 * whose owner process is gone is taken over.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"

export const processIsAlive = (pid: number): boolean => {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const tryAcquire = (lockPath: string, token: string): boolean => {
  try {
    fs.writeFileSync(lockPath, `${process.pid} ${token}\n`, { flag: "wx" })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
  }
  let owner = Number.NaN
  try {
    owner = Number(fs.readFileSync(lockPath, "utf8").split(" ")[0])
  } catch {
    return false // released meanwhile: try again on the next round
  }
  if (!processIsAlive(owner)) {
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

/** Runs `fn` while holding the lock file; waits (polling) while another live process holds it. */
export const withFileLock = async <A>(lockPath: string, fn: () => Promise<A>): Promise<A> => {
  const token = randomBytes(8).toString("hex")
  while (!tryAcquire(lockPath, token)) await sleep(50)
  try {
    return await fn()
  } finally {
    try {
      if (fs.readFileSync(lockPath, "utf8").includes(token)) fs.rmSync(lockPath, { force: true })
    } catch {
      // already gone
    }
  }
}
