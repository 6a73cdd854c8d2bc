/**
 * VmProcess over a stand-in engine session whose streams are real child-process sockets, as every
 * engine's are: what the caller sees when `exited` resolves and when its streams end.
 */
import { readlinkSync } from "node:fs"
import type { Socket } from "node:net"
import { describe, expect, it } from "vitest"
import { collect, VmProcessImpl } from "../src/VmProcess.js"
import { standInSession } from "./helpers/standInSession.js"

/** A stand-in session, and its stream sockets' fds. */
const childSession = (script: string) => {
  const { child, session } = standInSession(script)
  const fds = [child.stdout, child.stderr].map((stream) => {
    const fd = (stream as unknown as Socket & { _handle: { fd: number } })._handle.fd
    return { fd, target: readlinkSync(`/proc/self/fd/${fd}`) }
  })
  return { session, fds }
}

/** The engine's sockets that are still open (the same fd still names the same socket). */
const stillOpen = (fds: ReadonlyArray<{ readonly fd: number; readonly target: string }>): ReadonlyArray<string> =>
  fds.flatMap(({ fd, target }) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === target ? [`${fd} -> ${target}`] : []
    } catch {
      return []
    }
  })

describe("VmProcess closes the engine's streams before it says the VM is over", () => {
  it.each(["ignore", "inherit"] as const)("stdout/stderr %s: no engine socket is open when `exited` resolves", async (mode) => {
    for (let round = 0; round < 20; round++) {
      // a grandchild keeps the streams open a moment after the exit, as a dying sandbox can
      const { session, fds } = childSession("sleep 0.05 & exit 3")
      const vm = new VmProcessImpl(() => Promise.resolve(session), { stdout: mode, stderr: mode })
      expect((await vm.exited).status).toBe(3)
      expect(stillOpen(fds)).toEqual([])
    }
  })

  it("stdout/stderr pipe: no engine socket is open when the caller's streams have ended", async () => {
    for (let round = 0; round < 20; round++) {
      const { session, fds } = childSession("sleep 0.05 & echo out; echo err >&2; exit 4")
      const vm = new VmProcessImpl(() => Promise.resolve(session))
      const [out, err] = [collect(vm.stdout, 1024).done, collect(vm.stderr, 1024).done]
      expect((await vm.exited).status).toBe(4)
      expect(await out).toEqual({ text: "out\n", truncated: false })
      expect(await err).toEqual({ text: "err\n", truncated: false })
      expect(stillOpen(fds)).toEqual([])
    }
  })
})

describe("a kill, timeout or abort that lands after the VM exited, during cleanup, changes nothing", () => {
  it.each(["kill()", "an abort"] as const)("%s during cleanup: the workload's own status stays", async (how) => {
    const { session, exitSeen } = standInSession("exit 3", 400)
    const abort = new AbortController()
    const vm = new VmProcessImpl(() => Promise.resolve(session), { signal: abort.signal })
    await exitSeen
    if (how === "kill()") vm.kill()
    else abort.abort()
    expect(await vm.exited).toMatchObject({ status: 3, signal: null, timedOut: false })
  })

  it("timeoutMs firing during cleanup: not timed out, the workload's status", async () => {
    const { session } = standInSession("exit 4", 1_500)
    const vm = new VmProcessImpl(() => Promise.resolve(session), { timeoutMs: 500 })
    expect(await vm.exited).toMatchObject({ status: 4, signal: null, timedOut: false })
  })

  it("a kill that reaches the running VM is still reported, with timedOut for the timeout's", async () => {
    const { session } = standInSession("sleep 30", 100)
    const vm = new VmProcessImpl(() => Promise.resolve(session), { timeoutMs: 300 })
    expect(await vm.exited).toMatchObject({ status: null, signal: "SIGKILL", timedOut: true })
  })
})
