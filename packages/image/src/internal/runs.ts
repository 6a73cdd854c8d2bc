/**
 * Per-run root file systems made from an unpacked image base without touching it:
 * an overlayfs mount (base as the read-only lower layer; needs root) or a full copy
 * (`cp -a --reflink=auto`, which is a cheap reflink clone on btrfs/XFS and a real copy on ext4).
 *
 * Every run lives in `runs/<pid>-<id>/` with an `owner.json` holding the owner's stamp
 * (owner.ts: pid, start time, boot id, PID namespace; its mtime is the owner's heartbeat), so
 * that runs left by a crashed process can be told from live ones and cleaned.
 *
 * @internal
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { DiskFull, isImageError, RootfsPreparationFailed } from "../errors.js"
import { ConfinedRoot } from "./confinedRoot.js"
import { ownerAlive, type OwnerStamp, ownStamp, startHeartbeat } from "./owner.js"
import { fromFsError } from "./fsErrors.js"
import { removeTree } from "./removeTree.js"

const execFileAsync = promisify(execFile)

/**
 * How a run's private root file system is made: an overlayfs mount over the image base, or a
 * copy of it (`cp -a --reflink=auto`).
 *
 * @since 0.1.0
 * @category models
 */
export type RootfsStrategy = "overlay" | "copy"

export interface RunOwner extends OwnerStamp {
  readonly manifestDigest: string
  readonly strategy: RootfsStrategy
  readonly createdAt: string
}

export interface PreparedRun {
  readonly dir: string
  readonly rootfsDir: string
  readonly strategy: RootfsStrategy
}

const run = async (file: string, args: ReadonlyArray<string>): Promise<void> => {
  await execFileAsync(file, args, { maxBuffer: 1024 * 1024 })
}

const stderrOf = (error: unknown): string => {
  const stderr = (error as { stderr?: unknown }).stderr
  const text = typeof stderr === "string" ? stderr.trim() : ""
  return text !== "" ? text : error instanceof Error ? error.message : String(error)
}

/** Mount points (decoded) below or at `prefix`, deepest first. */
export const mountsUnder = (prefix: string): Array<string> => {
  let text = ""
  try {
    text = fs.readFileSync("/proc/self/mountinfo", "utf8")
  } catch {
    return []
  }
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)))
  return text
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mountPoint): mountPoint is string => mountPoint !== undefined)
    .map(decode)
    .filter((mountPoint) => mountPoint === prefix || mountPoint.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length)
}

const unmount = async (mountPoint: string): Promise<void> => {
  try {
    await run("umount", [mountPoint])
  } catch {
    // still busy (an engine process holds it): detach now, the kernel frees it when unused
    await run("umount", ["-l", mountPoint]).catch(() => undefined)
  }
}

/** overlayfs option strings cannot carry these characters without escaping */
const overlaySafe = (p: string) => !/[,:\\\s]/.test(p)

export const isRoot = (): boolean => process.getuid?.() === 0

export const overlaySupported = (): boolean => {
  if (!isRoot()) return false
  try {
    return /\toverlay$/m.test(fs.readFileSync("/proc/filesystems", "utf8"))
  } catch {
    return false
  }
}

/**
 * Where an unprivileged unpack records the modes it had to widen so that the base stays
 * copyable (a 0000 file, a 0000 directory): next to the base, never inside it (the guest would
 * see it).
 */
export const widenedModesFile = (baseDir: string): string => `${baseDir}.modes.json`

export const writeWidenedModes = (baseDir: string, modes: ReadonlyArray<readonly [string, number]>): void => {
  if (modes.length === 0) return
  fs.writeFileSync(widenedModesFile(baseDir), `${JSON.stringify({ schema: 1, modes })}\n`)
}

const readWidenedModes = (baseDir: string): ReadonlyArray<readonly [string, number]> => {
  let text: string
  try {
    text = fs.readFileSync(widenedModesFile(baseDir), "utf8")
  } catch {
    return []
  }
  const parsed = JSON.parse(text) as { schema?: unknown; modes?: unknown }
  if (parsed.schema !== 1 || !Array.isArray(parsed.modes)) return []
  return (parsed.modes as Array<unknown>).filter(
    (entry): entry is [string, number] => Array.isArray(entry) && typeof entry[0] === "string" && Number.isInteger(entry[1])
  )
}

/** Gives a fresh copy the image's modes back, deepest first (a 0000 directory last of all below it). */
const restoreWidenedModes = (copy: string, modes: ReadonlyArray<readonly [string, number]>): void => {
  const confined = new ConfinedRoot(copy)
  for (const [rel, mode] of modes) {
    try {
      if (rel === "") fs.chmodSync(copy, mode)
      else {
        const parts = rel.split("/")
        confined.chmodNoFollow(parts.slice(0, -1), parts[parts.length - 1]!, mode)
      }
    } catch (error) {
      throw new RootfsPreparationFailed({ strategy: "copy", path: `${copy}/${rel}`, detail: `restoring the image's mode ${mode.toString(8)}: ${error instanceof Error ? error.message : String(error)}` })
    }
  }
}

/** A run directory and what its owner.json says (undefined when it is missing or unreadable). */
export interface RunEntry {
  readonly dir: string
  readonly owner: RunOwner | undefined
  /** when owner.json (or, without one, the directory) was last touched */
  readonly touchedMs: number
}

/** A run being created has no owner.json for a moment: one without it is left alone this long. */
const unownedGraceMs = 60_000

export class RunDirectories {
  /** heartbeats of this process's runs, stopped when they are destroyed */
  private readonly heartbeats = new Map<string, () => void>()

  constructor(readonly runsDir: string) {}

  /** Whether the run's owner still lives (owner.ts); a run without owner.json only while young. */
  isLive(run: RunEntry, now = Date.now()): boolean {
    return run.owner !== undefined ? ownerAlive(run.owner, run.touchedMs, now) : now - run.touchedMs < unownedGraceMs
  }

  /**
   * Makes a run directory owned by this process (owner.json with its stamp, kept fresh by a
   * heartbeat until {@link destroy}): from here on the base counts as used. Called under the
   * base's lock, so that a prune or remove never deletes a base between being found and used.
   */
  reserve(manifestDigest: string, strategy: RootfsStrategy): string {
    fs.mkdirSync(this.runsDir, { recursive: true, mode: 0o700 })
    const dir = path.join(this.runsDir, `${process.pid}-${randomBytes(6).toString("hex")}`)
    fs.mkdirSync(dir, { mode: 0o700 })
    this.writeOwner(dir, manifestDigest, strategy)
    this.heartbeats.set(dir, startHeartbeat(path.join(dir, "owner.json")))
    return dir
  }

  private writeOwner(dir: string, manifestDigest: string, strategy: RootfsStrategy): void {
    const owner: RunOwner = { ...ownStamp(), manifestDigest, strategy, createdAt: new Date().toISOString() }
    fs.writeFileSync(path.join(dir, "owner.json"), JSON.stringify(owner))
  }

  /**
   * Makes the run's root file system in a reserved directory: an overlay mount over the base, or
   * a copy of it. On failure what it made is gone again and the reservation stays (to try the
   * other strategy, or to {@link destroy}).
   */
  async populate(dir: string, baseDir: string, manifestDigest: string, strategy: RootfsStrategy): Promise<PreparedRun> {
    this.writeOwner(dir, manifestDigest, strategy)
    const rootfs = path.join(dir, "rootfs")
    if (strategy === "overlay") {
      if (!overlaySafe(baseDir) || !overlaySafe(dir)) {
        throw new RootfsPreparationFailed({ strategy, path: dir, detail: "the cache path contains , : \\ or white space, which overlayfs options cannot express" })
      }
      const upper = path.join(dir, "upper")
      const work = path.join(dir, "work")
      try {
        for (const d of [upper, work, rootfs]) fs.mkdirSync(d)
        // the upper dir's root becomes the merged root: it must look like the base's root
        const baseStat = fs.statSync(baseDir)
        fs.chmodSync(upper, baseStat.mode & 0o7777)
        fs.chownSync(upper, baseStat.uid, baseStat.gid)
        await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${baseDir},upperdir=${upper},workdir=${work}`, rootfs])
      } catch (error) {
        for (const d of [upper, work, rootfs]) fs.rmSync(d, { recursive: true, force: true })
        throw new RootfsPreparationFailed({ strategy, path: rootfs, detail: stderrOf(error) })
      }
      return { dir, rootfsDir: rootfs, strategy }
    }
    try {
      await run("cp", ["-a", "--reflink=auto", "--", baseDir, rootfs])
      restoreWidenedModes(rootfs, readWidenedModes(baseDir))
    } catch (error) {
      await removeTree(rootfs).catch(() => undefined)
      if (isImageError(error)) throw error
      const detail = stderrOf(error)
      if (/No space left on device|Disk quota exceeded/i.test(detail)) {
        throw new DiskFull({ path: rootfs, operation: "copying the image rootfs to" })
      }
      throw new RootfsPreparationFailed({ strategy, path: rootfs, detail })
    }
    return { dir, rootfsDir: rootfs, strategy }
  }

  /** Unmounts whatever is mounted inside a run directory and deletes it. */
  async destroy(dir: string): Promise<void> {
    this.heartbeats.get(dir)?.()
    this.heartbeats.delete(dir)
    for (const mountPoint of mountsUnder(dir)) await unmount(mountPoint)
    if (mountsUnder(dir).length > 0) {
      // a lazily detached mount is gone from mountinfo; anything still listed must not be deleted through
      return
    }
    try {
      await removeTree(dir)
    } catch (error) {
      throw fromFsError(error, dir, "removing the run directory")
    }
  }

  /** Every run directory with its owner. */
  list(): Array<RunEntry> {
    let names: Array<string>
    try {
      names = fs.readdirSync(this.runsDir)
    } catch {
      return []
    }
    return names.flatMap((name): Array<RunEntry> => {
      const dir = path.join(this.runsDir, name)
      const ownerFile = path.join(dir, "owner.json")
      try {
        return [{ dir, owner: JSON.parse(fs.readFileSync(ownerFile, "utf8")) as RunOwner, touchedMs: fs.statSync(ownerFile).mtimeMs }]
      } catch {
        try {
          return [{ dir, owner: undefined, touchedMs: fs.statSync(dir).mtimeMs }]
        } catch {
          return [] // removed meanwhile
        }
      }
    })
  }

  /** Removes run directories whose owner is dead. Returns what was removed. */
  async cleanStale(): Promise<Array<RunEntry>> {
    const removed: Array<RunEntry> = []
    for (const run of this.list()) {
      if (this.isLive(run)) continue
      await this.destroy(run.dir)
      removed.push(run)
    }
    return removed
  }

  /** Manifest digests still used by live runs (their bases must not be deleted). */
  liveBases(): Set<string> {
    return new Set(
      this.list()
        .filter((run) => run.owner !== undefined && this.isLive(run))
        .map((run) => run.owner!.manifestDigest)
    )
  }
}
