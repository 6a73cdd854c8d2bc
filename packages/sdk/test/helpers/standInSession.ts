import { spawn } from "node:child_process"
import type { EngineEnd, EngineSession } from "../../src/engine/Engine.js"

/**
 * An engine session over `sh -c script`, as the engines behave: its streams are real
 * child-process sockets, `kill` reaches the process only while it runs (and says whether it did),
 * and `ended` settles `cleanupMs` after the exit (at once for 0, before the streams' EOF is read),
 * as an engine's cleanup takes its time.
 */
export const standInSession = (script: string, cleanupMs = 0) => {
  const child = spawn("/bin/sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] })
  let exited = false
  const exitSeen = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const session: EngineSession = {
    engine: "gvisor",
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    onReady: () => {},
    kill: (signal) => !exited && child.kill(signal),
    ended: new Promise<EngineEnd>((resolve) =>
      child.once("exit", (code, signal) => {
        exited = true
        const end: EngineEnd = signal === null ? { _tag: "Exited", status: code ?? 0 } : { _tag: "Signaled", signal }
        if (cleanupMs === 0) resolve(end)
        else setTimeout(() => resolve(end), cleanupMs)
      })
    )
  }
  return { child, session, exitSeen }
}
