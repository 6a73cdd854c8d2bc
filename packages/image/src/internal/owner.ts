/**
 * Who owns a lock, a run directory or an unpack directory, and whether that owner still lives,
 * decided robustly enough to delete on: not `kill(pid, 0)` alone, which answers for whatever
 * process has that pid *in the asking process's PID namespace* (another process after pid
 * reuse, or any process of another container sharing the store).
 *
 * An owner is stamped with its pid, its start time (`/proc/<pid>/stat` field 22, clock ticks
 * since boot), the boot id and its PID namespace. The owner is dead when the boot id differs
 * (the machine rebooted), or, in the same PID namespace, when `/proc/<pid>` is gone or started
 * at another time (the pid was reused). An owner in another PID namespace cannot be looked up
 * from here; it keeps the stamp's file fresh (a heartbeat every minute while it holds it), and
 * counts as dead only when the file has not been touched for ten minutes.
 *
 * `@krunbox/image` has no native dependency, so no `flock` (the SDK's VM temp dirs use one).
 *
 * @internal
 */
import * as fs from "node:fs"

export interface OwnerStamp {
  readonly pid: number
  /** start time in clock ticks since boot; undefined where /proc is not readable */
  readonly startTicks?: number | undefined
  readonly bootId?: string | undefined
  /** `pid:[inode]` of the owner's PID namespace */
  readonly pidNamespace?: string | undefined
}

/** How often a holder touches its stamp's file. */
export const heartbeatMs = 60_000
/** A stamp of another PID namespace untouched for this long belongs to a dead owner. */
export const foreignStaleMs = 10 * 60_000

const readOrUndefined = (read: () => string): string | undefined => {
  try {
    return read().trim()
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
const startTicksOf = (pid: number | "self"): number | undefined => {
  const stat = readOrUndefined(() => fs.readFileSync(`/proc/${pid}/stat`, "utf8"))
  if (stat === undefined) return undefined
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const ticks = Number(fields[22 - 3])
  return Number.isSafeInteger(ticks) ? ticks : undefined
}

let own: OwnerStamp | undefined

/** This process's stamp. */
export const ownStamp = (): OwnerStamp => {
  own ??= {
    pid: process.pid,
    startTicks: startTicksOf("self"),
    bootId: readOrUndefined(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidNamespace: readOrUndefined(() => fs.readlinkSync("/proc/self/ns/pid"))
  }
  return own
}

const killZero = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Whether the owner of a stamp still lives. `touchedMs` is when its file was last touched (the
 * heartbeat), used only for an owner in another PID namespace.
 */
export const ownerAlive = (stamp: OwnerStamp, touchedMs: number, now = Date.now()): boolean => {
  if (!Number.isSafeInteger(stamp.pid) || stamp.pid <= 0) return false
  const mine = ownStamp()
  if (stamp.bootId !== undefined && mine.bootId !== undefined && stamp.bootId !== mine.bootId) return false
  if (stamp.pidNamespace !== undefined && mine.pidNamespace !== undefined && stamp.pidNamespace !== mine.pidNamespace) {
    return now - touchedMs < foreignStaleMs
  }
  if (stamp.startTicks === undefined || mine.startTicks === undefined) return killZero(stamp.pid)
  if (!fs.existsSync(`/proc/${stamp.pid}`)) return false
  const ticks = startTicksOf(stamp.pid)
  // unreadable (hidepid): it exists, and nothing says it is another process
  return ticks === undefined || ticks === stamp.startTicks
}

/** The stamp in a JSON file, and when the file was last touched; undefined when unreadable. */
export const readStampFile = (file: string): { readonly stamp: OwnerStamp; readonly touchedMs: number } | undefined => {
  try {
    const stamp = JSON.parse(fs.readFileSync(file, "utf8")) as OwnerStamp
    if (typeof stamp !== "object" || stamp === null || typeof stamp.pid !== "number") return undefined
    return { stamp, touchedMs: fs.statSync(file).mtimeMs }
  } catch {
    return undefined
  }
}

/** Keeps `file`'s mtime fresh while its holder lives; returns the stop function. */
export const startHeartbeat = (file: string): (() => void) => {
  const timer = setInterval(() => {
    const now = new Date()
    try {
      fs.utimesSync(file, now, now)
    } catch {
      // gone (released or removed): nothing to keep fresh
    }
  }, heartbeatMs)
  timer.unref()
  return () => clearInterval(timer)
}
