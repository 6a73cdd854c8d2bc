/**
 * Recursive delete that also works without root on trees holding read-only directories (an
 * image's `0555` directories, kept by a copy strategy run): on EACCES/EPERM it makes every
 * directory writable for its owner, without following symlinks, and tries again.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"

const makeWritable = (dir: string): void => {
  let stat: fs.Stats
  try {
    stat = fs.lstatSync(dir)
  } catch {
    return
  }
  if (!stat.isDirectory()) return
  try {
    fs.chmodSync(dir, (stat.mode & 0o7777) | 0o700)
  } catch {
    // not ours: the retry reports the real failure
  }
  let names: Array<string> = []
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) makeWritable(path.join(dir, name))
}

export const removeTree = async (dir: string): Promise<void> => {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== "EACCES" && code !== "EPERM") throw error
    makeWritable(dir)
    await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 })
  }
}

/** Deletes a file; returns its size, or 0 when it was not there (or could not be removed). */
export const removeFile = (file: string): number => {
  try {
    const size = fs.statSync(file).size
    fs.rmSync(file, { force: true })
    return size
  } catch {
    return 0
  }
}
