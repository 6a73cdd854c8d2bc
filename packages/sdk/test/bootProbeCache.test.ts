/**
 * The boot probe's cache: a success holds for the host boot and runtime, a failure only for
 * FAILED_PROBE_TTL_MS, so one flaky probe cannot pin engine "auto" to gvisor until a reboot.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type BootProbeResult, cachedProbe, type CachedProbe, FAILED_PROBE_TTL_MS } from "../src/engine/bootProbe.js"

const dir = mkdtempSync(join(tmpdir(), "krunbox-test-probe-cache-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshFile = () => join(dir, `boot-probe-${files++}.json`)

const failure: BootProbeResult = { booted: false, ready: false, status: null, reason: "no guest exit within 30000 ms", ms: 30_000 }
const success: BootProbeResult = { booted: true, ready: true, status: 42, reason: null, ms: 900 }

/** A probe that answers from a script, counting its runs, on a clock the test moves. */
const scripted = (answers: ReadonlyArray<BootProbeResult>) => {
  const state = { now: 1_000_000, runs: 0 }
  const deps = (file: string, key = "boot-1|libs") => ({
    file,
    key,
    now: () => state.now,
    probe: () => Promise.resolve(answers[Math.min(state.runs++, answers.length - 1)]!)
  })
  return { state, deps }
}

describe("the boot probe cache", () => {
  it("probes again once a failure is FAILED_PROBE_TTL_MS old; a later success is kept", async () => {
    const file = freshFile()
    const { state, deps } = scripted([failure, success])
    expect(await cachedProbe(deps(file))).toEqual(failure)
    state.now += FAILED_PROBE_TTL_MS - 1
    expect(await cachedProbe(deps(file))).toEqual(failure)
    expect(state.runs).toBe(1)
    state.now += 1
    expect(await cachedProbe(deps(file))).toEqual(success)
    expect(state.runs).toBe(2)
    state.now += 100 * 24 * 3_600_000
    expect(await cachedProbe(deps(file))).toEqual(success)
    expect(state.runs).toBe(2)
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ key: "boot-1|libs", result: success })
  })

  it.each([
    ["an expired failure", { key: "boot-1|libs", result: failure, at: 1_000_000 - FAILED_PROBE_TTL_MS - 1 }, 1],
    ["a failure with no time (written before failures expired)", { key: "boot-1|libs", result: failure }, 1],
    ["a failure from the future (the clock went back)", { key: "boot-1|libs", result: failure, at: 1_000_000 + 60_000 }, 1],
    ["a fresh failure", { key: "boot-1|libs", result: failure, at: 1_000_000 - 60_000 }, 0],
    ["a success, however old", { key: "boot-1|libs", result: success, at: 0 }, 0],
    ["a success of another boot or runtime", { key: "boot-0|libs", result: success, at: 999_000 }, 1]
  ] as ReadonlyArray<readonly [string, CachedProbe, number]>)("a cache file holding %s", async (_what, entry, runs) => {
    const file = freshFile()
    writeFileSync(file, JSON.stringify(entry))
    const { state, deps } = scripted([success])
    await cachedProbe(deps(file))
    expect(state.runs).toBe(runs)
  })

  it("callers at the same time share one probe", async () => {
    const file = freshFile()
    const { state, deps } = scripted([success])
    const results = await Promise.all(Array.from({ length: 5 }, () => cachedProbe(deps(file))))
    expect(results).toEqual(Array.from({ length: 5 }, () => success))
    expect(state.runs).toBe(1)
  })
})
