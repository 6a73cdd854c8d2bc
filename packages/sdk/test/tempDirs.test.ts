/**
 * The sweep of VM temp dirs left by dead krunbox processes decides "dead" by the owner's lock on
 * the dir, never by the pid in its name: /tmp may be shared by PID namespaces, where that pid is
 * another process or none.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeVmTempDir, OWNER_LOCK, removeTree, sweepStaleTempDirs } from "../src/internal/tempDirs.js"
import { which } from "../src/internal/which.js"
import { prerequisite } from "@krunbox/testing"

const needs = prerequisite(which("flock") === undefined ? "flock(1) (util-linux) is not installed" : "")

// a pid no process has in this namespace, as the pid of an owner in another namespace looks here
const foreignPid = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) + 7

const made: Array<string> = []
const holders: Array<ChildProcess> = []
afterEach(() => {
  for (const child of holders.splice(0)) child.kill("SIGKILL")
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A VM temp dir as another krunbox process would leave it: named after `pid`, with an owner lock file. */
const vmDir = (pid: number, suffix: string): string => {
  const dir = join(tmpdir(), `krunbox-${pid}-${suffix}`)
  mkdirSync(dir)
  made.push(dir)
  writeFileSync(join(dir, OWNER_LOCK), "")
  return dir
}

/** Holds the dir's owner lock from another process (flock(1)), as a live owner does. */
const holdLock = (dir: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn("flock", ["-n", "--no-fork", join(dir, OWNER_LOCK), "sh", "-c", "echo locked; exec sleep 60"], { stdio: ["ignore", "pipe", "inherit"] })
    holders.push(child)
    child.stdout.once("data", () => resolve())
    child.once("exit", (code) => reject(new Error(`flock exited ${code}`)))
  })

describe.skipIf(needs.skip)(needs.title("the stale temp-dir sweep"), () => {
  it("keeps a dir whose owner holds its lock, though the pid in its name is dead here (another PID namespace)", async () => {
    needs.check()
    const dir = vmDir(foreignPid, "liveAA")
    await holdLock(dir)
    sweepStaleTempDirs()
    expect(existsSync(dir)).toBe(true)
  })

  it("removes a dir whose owner is gone, though the pid in its name is alive here", () => {
    needs.check()
    const dir = vmDir(1, "deadAA")
    sweepStaleTempDirs()
    expect(existsSync(dir)).toBe(false)
  })

  it("removes the dir once its owner dies, however it dies", async () => {
    needs.check()
    const dir = vmDir(foreignPid, "killAA")
    await holdLock(dir)
    sweepStaleTempDirs()
    expect(existsSync(dir)).toBe(true)
    const holder = holders[0]!
    await new Promise((resolve) => {
      holder.once("exit", resolve)
      holder.kill("SIGKILL")
    })
    sweepStaleTempDirs()
    expect(existsSync(dir)).toBe(false)
  })

  it("keeps this process's own dirs, and a young dir without a lock (its owner may be about to take it)", () => {
    needs.check()
    const own = makeVmTempDir()
    const young = join(tmpdir(), `krunbox-${foreignPid}-youngA`)
    mkdirSync(young)
    made.push(young)
    sweepStaleTempDirs()
    expect(existsSync(own)).toBe(true)
    expect(existsSync(young)).toBe(true)
    removeTree(own)
    expect(existsSync(own)).toBe(false)
  })

  it("judges an old dir without a lock (an older krunbox's) by its pid, as before", () => {
    needs.check()
    const old = join(tmpdir(), `krunbox-${foreignPid}-oldAAA`)
    mkdirSync(old)
    made.push(old)
    const hourAgo = new Date(Date.now() - 3_600_000)
    utimesSync(old, hourAgo, hourAgo)
    sweepStaleTempDirs()
    expect(existsSync(old)).toBe(false)
  })
})
