import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { CacheIoError } from "../SetupError.js"

export const sha256Text = (text: string): string => createHash("sha256").update(text).digest("hex")

export const sha256File = (file: string): string => {
  const hash = createHash("sha256")
  const fd = fs.openSync(file, "r")
  try {
    const buffer = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      hash.update(buffer.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest("hex")
}

export const exists = (p: string): boolean => {
  try {
    fs.accessSync(p)
    return true
  } catch {
    return false
  }
}

const cacheFix = (p: string) => `make ${path.dirname(p)} writable, or point KRUNBOX_CACHE_DIR at a writable directory`

/** Wraps a synchronous file operation so its failure becomes a CacheIoError. */
export const io = <A>(operation: string, p: string, f: () => A) =>
  Effect.try({
    try: f,
    catch: (err) =>
      new CacheIoError({
        path: p,
        operation,
        reason: err instanceof Error ? err.message : String(err),
        fix: cacheFix(p)
      })
  })

/** A sibling temp path on the same filesystem, so a rename into place is atomic. */
export const tempSibling = (target: string): string =>
  path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`)

export const writeFileAtomic = (target: string, content: string) =>
  io("write", target, () => {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const tmp = tempSibling(target)
    try {
      fs.writeFileSync(tmp, content)
      fs.renameSync(tmp, target)
    } catch (err) {
      fs.rmSync(tmp, { force: true })
      throw err
    }
  })

/**
 * Fills a fresh temp directory with `fill` and renames it to `target` (replacing an older copy).
 * Readers see either nothing or the whole directory.
 */
export const publishDirectory = <E, R>(target: string, fill: (dir: string) => Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    yield* io("create", path.dirname(target), () => fs.mkdirSync(path.dirname(target), { recursive: true }))
    const tmp = tempSibling(target)
    yield* io("create", tmp, () => fs.mkdirSync(tmp))
    yield* fill(tmp).pipe(
      Effect.flatMap(() =>
        io("rename into place", target, () => {
          fs.rmSync(target, { recursive: true, force: true })
          fs.renameSync(tmp, target)
        })
      ),
      Effect.ensuring(Effect.sync(() => fs.rmSync(tmp, { recursive: true, force: true })))
    )
  })

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Holds an exclusive lock (a directory holding the owner's pid) around `body`, so concurrent
 * setups (parallel test files, two terminals) do not build the same thing twice. A lock whose
 * owner died is taken over.
 */
export const withLock = <A, E, R>(lockDir: string, body: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.gen(function* () {
      yield* io("create", path.dirname(lockDir), () => fs.mkdirSync(path.dirname(lockDir), { recursive: true }))
      const pidFile = path.join(lockDir, "pid")
      for (;;) {
        const taken = yield* io("lock", lockDir, () => {
          try {
            fs.mkdirSync(lockDir)
            fs.writeFileSync(pidFile, String(process.pid))
            return true
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
            let owner = Number.NaN
            try {
              owner = Number(fs.readFileSync(pidFile, "utf8"))
            } catch {
              // the owner may be between mkdir and writing its pid: treat as alive unless old
              const age = Date.now() - fs.statSync(lockDir).mtimeMs
              if (age > 10_000) fs.rmSync(lockDir, { recursive: true, force: true })
              return false
            }
            if (!Number.isInteger(owner) || !pidAlive(owner)) {
              fs.rmSync(lockDir, { recursive: true, force: true })
            }
            return false
          }
        })
        if (taken) return
        yield* Effect.sleep(300)
      }
    }),
    () => body,
    () => Effect.sync(() => fs.rmSync(lockDir, { recursive: true, force: true }))
  )
