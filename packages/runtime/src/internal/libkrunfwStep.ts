import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import type { LibkrunfwEntry } from "../Manifest.js"
import { ArtifactInvalid, type ToolMissing } from "../SetupError.js"
import { debExtract, debVersion, type PrivateApt, upstreamVersion } from "./apt.js"
import { exists, io, publishDirectory, sha256File } from "./files.js"
import type { StepContext } from "./progress.js"
import { compareVersions, findSystemLibkrunfw } from "./systemLibs.js"

export const LIBKRUNFW_SONAME = "libkrunfw.so.5"

/** The newest libkrunfw already unpacked in the cache: [deb version, path]. */
const cachedLibkrunfw = (paths: CachePaths): [string, string] | undefined => {
  let versions: Array<string> = []
  try {
    versions = fs.readdirSync(paths.libkrunfwDir).filter((v) => !v.startsWith("."))
  } catch {
    return undefined
  }
  const present = versions
    .filter((v) => exists(path.join(paths.libkrunfwDir, v, LIBKRUNFW_SONAME)))
    .sort((a, b) => compareVersions(b.replace(/^\d+:/, ""), a.replace(/^\d+:/, "")))
  const newest = present[0]
  return newest === undefined ? undefined : [newest, path.join(paths.libkrunfwDir, newest, LIBKRUNFW_SONAME)]
}

/** Step c: libkrunfw 5 from the system, else from Debian's libkrunfw5 .deb (private apt). */
export const ensureLibkrunfw = (paths: CachePaths, ctx: StepContext, apt: Effect.Effect<PrivateApt, ToolMissing>) =>
  Effect.gen(function* () {
    const system = findSystemLibkrunfw()
    if (system !== undefined) {
      ctx.emit({ step: "libkrunfw", status: "skip", detail: `system ${system.path}` })
      const entry: LibkrunfwEntry = {
        path: system.path,
        version: system.version,
        sha256: yield* io("hash", system.path, () => sha256File(system.path)),
        source: "system"
      }
      return entry
    }
    const cached = ctx.force ? undefined : cachedLibkrunfw(paths)
    if (cached !== undefined) {
      ctx.emit({ step: "libkrunfw", status: "skip", detail: cached[1] })
      const entry: LibkrunfwEntry = {
        path: cached[1],
        version: upstreamVersion(cached[0]),
        sha256: yield* io("hash", cached[1], () => sha256File(cached[1])),
        source: "deb"
      }
      return entry
    }
    ctx.emit({ step: "libkrunfw", status: "start", detail: "fetching Debian's libkrunfw5 (private apt dir)" })
    const privateApt = yield* apt
    yield* privateApt.update("libkrunfw", ctx.force, (line) => ctx.emit({ step: "libkrunfw", status: "progress", detail: line }))
    const deb = yield* privateApt.download("libkrunfw5", "libkrunfw")
    const version = yield* debVersion(deb, "libkrunfw")
    const target = path.join(paths.libkrunfwDir, version)
    yield* publishDirectory(target, (dir) =>
      Effect.gen(function* () {
        const unpacked = path.join(dir, "unpacked")
        yield* debExtract(deb, unpacked, "libkrunfw")
        const found = yield* io("search", unpacked, () => {
          const stack = [unpacked]
          while (stack.length > 0) {
            const d = stack.pop()!
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
              const p = path.join(d, e.name)
              if (e.isDirectory()) stack.push(p)
              else if (e.name === LIBKRUNFW_SONAME) return p
            }
          }
          return undefined
        })
        if (found === undefined) {
          return yield* Effect.fail(
            new ArtifactInvalid({ path: deb, problem: `has no ${LIBKRUNFW_SONAME}`, fix: `delete ${deb} and rerun \`krunbox setup --force\`` })
          )
        }
        yield* io("copy", found, () => {
          fs.copyFileSync(fs.realpathSync(found), path.join(dir, LIBKRUNFW_SONAME))
          fs.rmSync(unpacked, { recursive: true, force: true })
        })
      })
    )
    const file = path.join(target, LIBKRUNFW_SONAME)
    ctx.emit({ step: "libkrunfw", status: "done", detail: file })
    const entry: LibkrunfwEntry = {
      path: file,
      version: upstreamVersion(version),
      sha256: yield* io("hash", file, () => sha256File(file)),
      source: "deb"
    }
    return entry
  })
