/**
 * SIGKILL of the process that started a VM must not leave the VM running: the gvisor process tree
 * and the libkrun runner both die with their parent (PDEATHSIG). What a SIGKILLed parent could not
 * clean (temp dir, cgroup) is removed by the next krunbox process's sweep.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { locateLibrary } from "../src/engine/libraries.js"
import { processesMentioning } from "../src/internal/procScan.js"
import { sweepStaleTempDirs } from "../src/internal/tempDirs.js"
import { which } from "../src/internal/which.js"
import { ownCgroups, ownTempDirs, ownVmProcesses } from "./helpers/leaks.js"
import { prerequisite } from "@krunbox/testing"
import { hasBusybox, makeBusyboxRootfs } from "./helpers/rootfs.js"

const distBuilt = existsSync(resolve(import.meta.dirname, "..", "dist", "index.js"))
const fixtures = resolve(import.meta.dirname, "fixtures")

/** Starts a fixture parent script and waits for its `ready <pid>` line. */
const startParent = (script: string, args: ReadonlyArray<string>): Promise<{ child: ChildProcess; pid: number }> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(fixtures, script), ...args], { stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    child.stdout!.setEncoding("utf8")
    child.stdout!.on("data", (text: string) => {
      output += text
      const match = /ready (\d+)\n/.exec(output)
      if (match !== null) resolvePromise({ child, pid: Number(match[1]) })
    })
    child.once("exit", (code, signal) => reject(new Error(`${script} ended early (${code ?? signal}): ${output}`)))
  })

const killAndWait = (child: ChildProcess): Promise<void> =>
  new Promise((resolvePromise) => {
    child.removeAllListeners("exit")
    child.once("exit", () => resolvePromise())
    child.kill("SIGKILL")
  })

const isDead = (pid: number): boolean => {
  try {
    // a killed orphan may linger as a zombie until init reaps it: that is dead
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return true
  }
}

/** Waits for a condition that must become true once the kernel delivered PDEATHSIG. */
const eventually = async (condition: () => boolean, limitMs = 10_000): Promise<boolean> => {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return condition()
}

let fixture: { readonly dir: string; readonly rootfs: string }
beforeAll(() => {
  if (hasBusybox) fixture = makeBusyboxRootfs()
})
afterAll(() => {
  if (hasBusybox) rmSync(fixture.dir, { recursive: true, force: true })
})

const gvisorSkip = !distBuilt ? "build @krunbox/sdk first" : which("runsc") === undefined ? "runsc is not installed" : !hasBusybox ? "busybox-static is not installed" : ""
const runnerSkip = !distBuilt ? "build @krunbox/sdk first" : locateLibrary("libkrun") === undefined ? "libkrun not found (krunbox setup)" : !hasBusybox ? "busybox-static is not installed" : ""

const gvisorNeeds = prerequisite(gvisorSkip)
const runnerNeeds = prerequisite(runnerSkip)

describe("no orphans when the parent is SIGKILLed", () => {
  it.skipIf(gvisorNeeds.skip)(gvisorNeeds.title("gvisor: runsc, its sandbox and gofer die with the parent"), async () => {
    gvisorNeeds.check()
    const { child, pid } = await startParent("parent-gvisor.mjs", [fixture.rootfs])
    const vmDirs = join(tmpdir(), `krunbox-${pid}-`)
    const before = processesMentioning(vmDirs)
    // runsc run, runsc-sandbox and runsc-gofer all name the VM's state dir
    expect(before.length).toBeGreaterThanOrEqual(3)
    await killAndWait(child)
    expect(await eventually(() => processesMentioning(vmDirs).length === 0 && before.every(isDead))).toBe(true)
    // the next krunbox process removes what the dead one could not (another test file's VM may
    // already have swept it: every krunbox start sweeps the temp dirs of dead processes)
    expect(ownTempDirs(pid).length).toBeLessThanOrEqual(1)
    sweepStaleTempDirs()
    expect(ownTempDirs(pid)).toEqual([])
    expect(ownCgroups(pid)).toEqual([])
  })

  it.skipIf(runnerNeeds.skip)(runnerNeeds.title("libkrun: the VM runner dies with its parent (PR_SET_PDEATHSIG)"), async () => {
    runnerNeeds.check()
    const dir = mkdtempSync(join(tmpdir(), "krunbox-test-orphan-"))
    try {
      const { child, pid: runnerPid } = await startParent("parent-runner.mjs", [fixture.rootfs, join(dir, "control.sock")])
      expect(isDead(runnerPid)).toBe(false)
      expect(readFileSync(`/proc/${runnerPid}/cmdline`, "utf8")).toContain("runner.js")
      await killAndWait(child)
      expect(await eventually(() => isDead(runnerPid))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("this test process itself left nothing behind", () => {
    expect(ownVmProcesses()).toEqual([])
    expect(ownTempDirs()).toEqual([])
  })
})
