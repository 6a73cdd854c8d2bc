/**
 * What a tree takes on disk, as `du` counts it: allocated blocks, each inode once (hardlinks),
 * never crossing into another file system (an overlay run's merged mount shows the base).
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"

export const diskUsage = (root: string): number => {
  let top: fs.Stats
  try {
    top = fs.lstatSync(root)
  } catch {
    return 0
  }
  const seen = new Set<string>()
  let bytes = 0
  const pending: Array<[string, fs.Stats]> = [[root, top]]
  while (pending.length > 0) {
    const [current, stat] = pending.pop()!
    if (stat.dev !== top.dev) continue
    if (stat.nlink > 1 && !stat.isDirectory()) {
      const key = `${stat.dev}:${stat.ino}`
      if (seen.has(key)) continue
      seen.add(key)
    }
    bytes += stat.blocks * 512
    if (!stat.isDirectory()) continue
    let names: Array<string> = []
    try {
      names = fs.readdirSync(current)
    } catch {
      continue // unreadable here: counted as its own blocks only
    }
    for (const name of names) {
      const child = path.join(current, name)
      try {
        pending.push([child, fs.lstatSync(child)])
      } catch {
        // removed meanwhile
      }
    }
  }
  return bytes
}
