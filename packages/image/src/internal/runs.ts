/**
 * Per-run root file systems made from an unpacked image base without touching it:
 * an overlayfs mount (base as the read-only lower layer; needs root) or a full copy
 * (`cp -a --reflink=auto`, which is a cheap reflink clone on btrfs/XFS and a real copy on ext4).
 *
 * Every run lives in `runs/<id>/` with an `owner.json` naming the owning pid, so that runs left
 * by a crashed process can be found and cleaned.
 *
 * @internal
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { DiskFull, RootfsPreparationFailed } from "../errors.js"
import { ConfinedRoot } from "./confinedRoot.js"
import { processIsAlive } from "./lock.js"
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

export interface RunOwner {
  readonly pid: number
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

export class RunDirectories {
  constructor(readonly runsDir: string) {}

  async create(
    baseDir: string,
    manifestDigest: string,
    strategy: RootfsStrategy
  ): Promise<PreparedRun> {
    fs.mkdirSync(this.runsDir, { recursive: true })
    const dir = path.join(this.runsDir, `${process.pid}-${randomBytes(6).toString("hex")}`)
    fs.mkdirSync(dir, { mode: 0o700 })
    const owner: RunOwner = { pid: process.pid, manifestDigest, strategy, createdAt: new Date().toISOString() }
    fs.writeFileSync(path.join(dir, "owner.json"), JSON.stringify(owner))
    try {
      if (strategy === "overlay") {
        if (!overlaySafe(baseDir) || !overlaySafe(dir)) {
          throw new RootfsPreparationFailed({ strategy, path: dir, detail: "the cache path contains , : \\ or white space, which overlayfs options cannot express" })
        }
        const upper = path.join(dir, "upper")
        const work = path.join(dir, "work")
        const merged = path.join(dir, "rootfs")
        for (const d of [upper, work, merged]) fs.mkdirSync(d)
        // the upper dir's root becomes the merged root: it must look like the base's root
        const baseStat = fs.statSync(baseDir)
        fs.chmodSync(upper, baseStat.mode & 0o7777)
        fs.chownSync(upper, baseStat.uid, baseStat.gid)
        try {
          await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${baseDir},upperdir=${upper},workdir=${work}`, merged])
        } catch (error) {
          throw new RootfsPreparationFailed({ strategy, path: merged, detail: stderrOf(error) })
        }
        return { dir, rootfsDir: merged, strategy }
      }
      const copy = path.join(dir, "rootfs")
      try {
        await run("cp", ["-a", "--reflink=auto", "--", baseDir, copy])
      } catch (error) {
        const detail = stderrOf(error)
        if (/No space left on device|Disk quota exceeded/i.test(detail)) {
          throw new DiskFull({ path: copy, operation: "copying the image rootfs to" })
        }
        throw new RootfsPreparationFailed({ strategy, path: copy, detail })
      }
      restoreWidenedModes(copy, readWidenedModes(baseDir))
      return { dir, rootfsDir: copy, strategy }
    } catch (error) {
      await this.destroy(dir)
      throw error
    }
  }

  /** Unmounts whatever is mounted inside a run directory and deletes it. */
  async destroy(dir: string): Promise<void> {
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

  /** The owners of all run directories (unreadable ones are reported with pid 0). */
  list(): Array<{ readonly dir: string; readonly owner: RunOwner | undefined }> {
    let names: Array<string>
    try {
      names = fs.readdirSync(this.runsDir)
    } catch {
      return []
    }
    return names.map((name) => {
      const dir = path.join(this.runsDir, name)
      try {
        return { dir, owner: JSON.parse(fs.readFileSync(path.join(dir, "owner.json"), "utf8")) as RunOwner }
      } catch {
        return { dir, owner: undefined }
      }
    })
  }

  /** Removes run directories whose owning process has exited. Returns how many. */
  async cleanStale(): Promise<number> {
    let removed = 0
    for (const { dir, owner } of this.list()) {
      if (owner !== undefined && processIsAlive(owner.pid)) continue
      if (owner === undefined) {
        // owner.json is written right after mkdir: give a run being created a moment
        const age = Date.now() - fs.statSync(dir).mtimeMs
        if (age < 60_000) continue
      }
      await this.destroy(dir)
      removed++
    }
    return removed
  }

  /** Manifest digests still used by live runs (their bases must not be deleted). */
  liveBases(): Set<string> {
    return new Set(
      this.list()
        .filter((run) => run.owner !== undefined && processIsAlive(run.owner.pid))
        .map((run) => run.owner!.manifestDigest)
    )
  }
}
