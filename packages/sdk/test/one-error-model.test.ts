/**
 * One error model: an error thrown by any krunbox package passes the one check a caller needs,
 * `KrunboxError.isInstance`, imported once from the SDK. Each package's error is produced the way
 * a user meets it; each has its `_tag`, a message, a hint, a JSON form, and fails an Effect when
 * yielded.
 */
import { Libkrun } from "@krunbox/ffi"
import { Effect, Exit } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Image, KrunboxError, MicroVm, Setup } from "../src/index.js"

const dir = mkdtempSync(join(tmpdir(), "krunbox-one-error-model-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const caught = async (run: () => unknown): Promise<unknown> => {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error("expected a failure")
}

const withEnv = async <A>(name: string, value: string, body: () => Promise<A>): Promise<A> => {
  const saved = process.env[name]
  process.env[name] = value
  try {
    return await body()
  } finally {
    if (saved === undefined) delete process.env[name]
    else process.env[name] = saved
  }
}

const cases: ReadonlyArray<readonly [string, string, () => Promise<unknown>]> = [
  ["@krunbox/ffi", "LibraryNotFound", () => caught(() => Libkrun.load({ path: join(dir, "no-libkrun.so") }))],
  ["@krunbox/core", "InvalidMicroVmConfig", () => caught(() => MicroVm.builder().rootfs(dir).execPath("/bin/true").memoryMib(0).build())],
  ["@krunbox/image", "InvalidReference", () => caught(() => Image.ImageReference.parse("Alpine:3.20"))],
  ["@krunbox/runtime", "ManifestInvalid", () => caught(() => Setup.load({ cacheDir: dir }))],
  [
    "@krunbox/sdk",
    "EngineUnavailable",
    () =>
      withEnv("KRUNBOX_RUNSC", join(dir, "no-runsc"), () =>
        caught(() => MicroVm.builder().engine("gvisor").rootfs(dir).execPath("/bin/true").build().run()))
  ]
]

describe("one error model", () => {
  it.each(cases)("%s's %s is a KrunboxError: _tag, message, hint, JSON, yieldable", async (_pkg, tag, produce) => {
    const error = await produce()
    expect(KrunboxError.isInstance(error)).toBe(true)
    const krunboxError = error as KrunboxError
    expect(krunboxError._tag).toBe(tag)
    expect(krunboxError.name).toBe(tag)
    expect(krunboxError.message.length).toBeGreaterThan(0)
    expect(krunboxError.hint.length).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(krunboxError))).toMatchObject({ _tag: tag, message: krunboxError.message, hint: krunboxError.hint })
    const exit = Effect.runSyncExit(Effect.gen(function*() {
      return yield* krunboxError
    }))
    expect(Exit.isFailure(exit) && Exit.findErrorOption(exit)).toMatchObject({ _tag: "Some", value: krunboxError })
  })
})
