import * as fs from "node:fs"
import * as path from "node:path"
import type { CachePaths } from "../CachePaths.js"
import type { RuntimeManifest } from "../Manifest.js"

/**
 * Older versions kept per kind besides the current one: two checkouts (or a checkout and CI)
 * sharing one cache switch between their inits, and each switch must find its libkrun build
 * still there rather than rebuild it for a minute.
 */
const SPARE_VERSIONS = 2

/**
 * Removes old versions of what setup makes (init, libkrun, libkrunfw, default rootfs): each init
 * change means a new init and a new libkrun build (~7 MB), and nothing else would ever delete the
 * old ones. Keeps the manifest's current ones and the {@link SPARE_VERSIONS} most recently made
 * others. Runs under setup's lock, after the manifest is written; a VM already running from an old
 * library keeps its mapping (Linux unlinks lazily). Returns what it removed.
 */
export const pruneSuperseded = (paths: CachePaths, manifest: RuntimeManifest): ReadonlyArray<string> => {
  const kept = new Set([
    path.dirname(manifest.init.path),
    path.dirname(manifest.libkrun.path),
    path.dirname(manifest.libkrunfw.path),
    manifest.rootfs.path
  ])
  const removed: Array<string> = []
  for (const parent of [paths.initDir, paths.libkrunDir, paths.libkrunfwDir, paths.rootfsDir]) {
    let entries: Array<string>
    try {
      entries = fs.readdirSync(parent)
    } catch {
      continue
    }
    const others = entries
      .map((entry) => path.join(parent, entry))
      .filter((dir) => !kept.has(dir))
      .map((dir) => ({ dir, made: modifiedMs(dir) }))
      .sort((a, b) => b.made - a.made)
    for (const { dir } of others.slice(SPARE_VERSIONS)) {
      fs.rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    }
  }
  return removed
}

const modifiedMs = (dir: string): number => {
  try {
    return fs.statSync(dir).mtimeMs
  } catch {
    return 0
  }
}
