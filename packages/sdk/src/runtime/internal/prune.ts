import * as fs from "node:fs"
import * as path from "node:path"
import type { CachePaths } from "../CachePaths.js"
import type { RuntimeManifest } from "../Manifest.js"

/**
 * Removes the versions of what setup makes (init, libkrun, libkrunfw, default rootfs) that the
 * manifest no longer names: each init change means a new init and a new libkrun build (~7 MB),
 * and nothing else would ever delete the old ones. Runs under setup's lock, after the manifest is
 * written; a VM already running from an old library keeps its mapping (Linux unlinks lazily).
 * Returns what it removed.
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
    for (const entry of entries) {
      const dir = path.join(parent, entry)
      if (kept.has(dir)) continue
      fs.rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    }
  }
  return removed
}
