import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { DEFAULT_SMP, DEFAULT_TIMEOUT_SECONDS, L1_TEST_TIMEOUT_MS } from "../src/Harness.js"
import { makeProgressMonitor, PROGRESS_REPORTER_SOURCE } from "../src/Progress.js"
import { bootL1 } from "../src/Qemu.js"

const machine = { accel: "tcg", cpu: "max", smp: 2, memoryMib: 64, kernel: "/k", initramfs: "/i", disk: "/d", append: [] }

describe("the L1 progress monitor", () => {
  it("names the test that started and did not end when a CPU stays soft-locked", () => {
    const monitor = makeProgressMonitor({ startMs: 0, silenceMs: 60_000 })
    monitor.line("krunbox-l1: test-start test/a.test.ts > suite > first", 1)
    monitor.line("krunbox-l1: test-end passed test/a.test.ts > suite > first", 2)
    monitor.line("krunbox-l1: test-start test/a.test.ts > suite > second", 3)
    // the kernel's first report can be a loaded host's hiccup; a lasting one is not
    expect(monitor.line("[  168.7] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [fc_vcpu 0:408]", 4)).toBeUndefined()
    const stall = monitor.line("[  196.7] watchdog: BUG: soft lockup - CPU#1 stuck for 49s! [fc_vcpu 0:408]", 5)
    expect(stall).toMatchObject({ runningTest: "test/a.test.ts > suite > second", lastFinishedTest: "test/a.test.ts > suite > first" })
    expect(stall?.reason).toContain("CPU#1 stuck for 49 s [fc_vcpu 0:408]")
  })

  it("gives up after the configured silence of L1 userspace, only once userspace has spoken", () => {
    const monitor = makeProgressMonitor({ startMs: 0, silenceMs: 60_000 })
    expect(monitor.check(500_000)).toBeUndefined()
    monitor.line("krunbox-l1: heartbeat uptime=20", 500_000)
    expect(monitor.check(559_000)).toBeUndefined()
    expect(monitor.check(561_000)?.reason).toContain("no sign of life from L1 userspace for 61 s")
  })

  it("the in-L1 reporter is valid JavaScript that marks starts and ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "boot-l1-reporter-"))
    try {
      writeFileSync(join(dir, "r.mjs"), PROGRESS_REPORTER_SOURCE)
      const { default: Reporter } = (await import(join(dir, "r.mjs"))) as { default: new () => Record<string, (t: unknown) => void> }
      const lines: Array<string> = []
      const write = process.stdout.write
      process.stdout.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stdout.write
      try {
        const test = { module: { relativeModuleId: "test/x.test.ts" }, fullName: "a  b\nc", result: () => ({ state: "failed" }) }
        new Reporter().onTestCaseReady?.(test)
        new Reporter().onTestCaseResult?.(test)
      } finally {
        process.stdout.write = write
      }
      expect(lines).toEqual(["krunbox-l1: test-start test/x.test.ts > a b c\n", "krunbox-l1: test-end failed test/x.test.ts > a b c\n"])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("bootL1 with a wedged L1 (a stand-in QEMU that prints what the CI hang printed)", () => {
  const dir = mkdtempSync(join(tmpdir(), "boot-l1-wedged-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("kills QEMU and reports the stall and the running test instead of waiting for the timeout", async () => {
    const fake = join(dir, "qemu")
    writeFileSync(fake, [
      "#!/bin/sh",
      "echo 'krunbox-l1: heartbeat uptime=1'",
      "echo 'krunbox-l1: test-start test/libkrun.test.ts > libkrun engine, full boot > reports 127 for a missing program'",
      "i=23; while true; do echo \"watchdog: BUG: soft lockup - CPU#1 stuck for ${i}s! [fc_vcpu 0:408]\"; i=$((i+26)); sleep 0.2; done"
    ].join("\n"))
    chmodSync(fake, 0o755)
    const run = await bootL1({
      qemu: { path: fake, version: "fake" },
      machine,
      timeoutMs: 60_000,
      consoleLog: join(dir, "console.log"),
      onLine: () => undefined,
      onStage: () => undefined,
      monitor: makeProgressMonitor({ startMs: 0, silenceMs: 60_000 })
    })
    expect(run.timedOut).toBe(false)
    expect(run.signal).toBe("SIGKILL")
    expect(run.stall?.runningTest).toBe("test/libkrun.test.ts > libkrun engine, full boot > reports 127 for a missing program")
  })
})

describe("the L1's defaults", () => {
  it("one L1 vCPU: with two, QEMU 7.2's software SVM leaves guests stuck for good (4 of 8 boots, docs/boot-l1.md)", () => {
    expect(DEFAULT_SMP).toBe(1)
  })

  it("vitest's per-test limit inside the L1 and the harness deadline leave room for a busy host", () => {
    expect(L1_TEST_TIMEOUT_MS).toBeGreaterThanOrEqual(900_000)
    expect(DEFAULT_TIMEOUT_SECONDS * 1000).toBeGreaterThan(2 * L1_TEST_TIMEOUT_MS)
  })
})
