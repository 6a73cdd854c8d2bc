/**
 * Setup's failures are typed: `_tag`, the offending value, and the command that fixes it.
 * Each case runs against an empty temp cache, so nothing is built or fetched.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { KrunboxError } from "@krunbox/core"
import * as Setup from "../src/Setup.js"
import type { SetupError } from "../src/SetupError.js"

const dirs: Array<string> = []
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
const withEnv = async <A>(vars: Record<string, string>, body: () => Promise<A>): Promise<A> => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await body()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
const failure = async (promise: Promise<unknown>): Promise<SetupError> => {
  try {
    await promise
  } catch (error) {
    return error as SetupError
  }
  throw new Error("expected a rejection")
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe("Setup failures", () => {
  it("load() on a cache without runtime.json rejects with ManifestInvalid and says to run setup", async () => {
    const cacheDir = tempDir("krunbox-cache-")
    const error = await failure(Setup.load({ cacheDir }))
    expect(KrunboxError.isInstance(error)).toBe(true)
    expect(error._tag).toBe("ManifestInvalid")
    expect(error).toMatchObject({ _tag: "ManifestInvalid", path: path.join(cacheDir, "runtime.json") })
    expect(error.hint).toContain("krunbox setup")
    expect(error.toJSON()).toMatchObject({ _tag: "ManifestInvalid", hint: error.hint })
  })

  it("run() without the init's sources rejects with InitSourcesMissing naming where it looked", async () => {
    const cacheDir = tempDir("krunbox-cache-")
    const nowhere = tempDir("krunbox-no-sources-")
    const error = await withEnv({ KRUNBOX_INIT_SOURCE_DIR: nowhere }, () => failure(Setup.run({ cacheDir })))
    expect(error._tag).toBe("InitSourcesMissing")
    expect(error.message).toContain(nowhere)
    expect(error.hint).toContain("KRUNBOX_INIT_SOURCE_DIR")
    expect(fs.existsSync(path.join(cacheDir, "runtime.json"))).toBe(false)
    expect(fs.existsSync(path.join(cacheDir, "setup.lock"))).toBe(false) // the lock is released
  })

  it("run() without gcc rejects with ToolMissing and the apt-get command", async () => {
    const cacheDir = tempDir("krunbox-cache-")
    const error = await withEnv({ PATH: tempDir("krunbox-empty-path-") }, () => failure(Setup.run({ cacheDir })))
    expect(error._tag).toBe("ToolMissing")
    expect(error).toMatchObject({ tool: "gcc", neededFor: "building the guest init" })
    expect(error.hint).toBe("apt-get install -y gcc libc6-dev")
  })

  it("ensure() on a fresh cache runs setup (here failing fast the same typed way)", async () => {
    const cacheDir = tempDir("krunbox-cache-")
    const nowhere = tempDir("krunbox-no-sources-")
    const error = await withEnv({ KRUNBOX_INIT_SOURCE_DIR: nowhere }, () => failure(Setup.ensure({ cacheDir })))
    expect(error._tag).toBe("InitSourcesMissing")
  })
})
