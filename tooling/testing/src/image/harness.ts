/**
 * Shared set-up of the image tests: temporary directories that are always removed, and the
 * reason (if any) the registry tests cannot run on this machine.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { busyboxAvailable } from "./fixtures.js"
import { ensureRegistryTools } from "./registry.js"

/** Why the registry-backed tests must be skipped here, or undefined when they can run. */
export const registrySkipReason = (): string | undefined => {
  const tools = ensureRegistryTools()
  if (tools !== undefined) return tools
  if (!busyboxAvailable()) return "needs a static busybox to build the test image: run `bin/krunbox setup` (or apt-get install busybox-static)"
  return undefined
}

export const isRoot = process.getuid?.() === 0

export const makeTempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `krunbox-image-${label}-`))

export const removeDir = (dir: string | undefined): void => {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
}

/** Every regular file under a directory with its content hash, mode, owner and link target. */
export const snapshotTree = (root: string): Map<string, string> => {
  const out = new Map<string, string>()
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name)
      const relName = rel === "" ? name : `${rel}/${name}`
      const stat = fs.lstatSync(full)
      const meta = `${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${stat.mtimeMs}`
      if (stat.isDirectory()) {
        out.set(`${relName}/`, meta)
        walk(full, relName)
      } else if (stat.isSymbolicLink()) out.set(relName, `${meta} -> ${fs.readlinkSync(full)}`)
      else {
        const hash = createHash("sha256").update(fs.readFileSync(full)).digest("hex")
        out.set(relName, `${meta} ${stat.nlink} ${hash}`)
      }
    }
  }
  walk(root, "")
  return out
}

/** The error a promise rejects with (as a record, for `toMatchObject`); fails the test when it resolves. */
export const errorOf = async (promise: Promise<unknown>): Promise<Record<string, unknown>> => {
  try {
    await promise
  } catch (error) {
    return error as Record<string, unknown>
  }
  throw new Error("expected a failure")
}
