import { spawn, spawnSync } from "node:child_process"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { prerequisite } from "@krunbox/testing"
import { run } from "../src/internal/process.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const hasSetpriv = ["/usr/bin/setpriv", "/bin/setpriv"].some((p) => fs.existsSync(p))
const esbuild = path.join(here, "../node_modules/.bin/esbuild")

describe("setup's command runner", () => {
  it("streams output lines and returns stdout", async () => {
    const lines: Array<string> = []
    const result = await Effect.runPromise(
      run("sh", ["-c", "echo one; echo two >&2; printf three"], { step: "test", fix: "none", onLine: (l) => lines.push(l) })
    )
    expect(result.stdout).toBe("one\nthree")
    expect(lines.sort()).toEqual(["one", "two"]) // an unterminated last line is not a complete line
  })

  it("fails with CommandFailed carrying the command, exit code, output tail and fix", async () => {
    const error = await Effect.runPromise(
      Effect.flip(run("sh", ["-c", "echo bad thing >&2; exit 3"], { step: "libkrun", fix: "do the fix" }))
    )
    expect(error).toMatchObject({ _tag: "CommandFailed", step: "libkrun", exitCode: 3, fix: "do the fix" })
    expect(error.command).toBe("sh -c 'echo bad thing >&2; exit 3'")
    expect(error.outputTail).toContain("bad thing")
    expect(error.message).toContain("do the fix")
  })

  it("fails with CommandFailed when the program does not exist", async () => {
    const error = await Effect.runPromise(Effect.flip(run("/no/such/program", [], { step: "x", fix: "install it" })))
    expect(error._tag).toBe("CommandFailed")
    expect(error.exitCode === null || error.exitCode === 127).toBe(true)
  })

  const tools = prerequisite(!hasSetpriv ? "needs setpriv (util-linux)" : !fs.existsSync(esbuild) ? `needs esbuild at ${esbuild} (pnpm install)` : "")
  it.skipIf(tools.skip)(tools.title("does not leave a command running when setup's process is killed"), async () => {
    tools.check()
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-pdeathsig-"))
    try {
      const pidFile = path.join(tmp, "pid")
      // a separate Node process running the runner (bundled, since Node cannot import our .ts directly)
      const source = path.join(tmp, "holder.ts")
      const script = path.join(tmp, "holder.mjs")
      fs.writeFileSync(
        source,
        `import { Effect } from "effect"\nimport { run } from ${JSON.stringify(path.join(here, "../src/internal/process.ts"))}\n` +
          `await Effect.runPromise(run("sh", ["-c", "echo $$ > ${pidFile}; exec sleep 60"], { step: "t", fix: "f" }))\n`
      )
      const bundled = spawnSync(esbuild, [source, "--bundle", "--platform=node", "--format=esm", `--outfile=${script}`, "--log-level=error"], {
        cwd: path.join(here, ".."),
        encoding: "utf8"
      })
      expect(bundled.stderr).toBe("")
      const holder = spawn(process.execPath, [script], { stdio: "ignore" })
      let pid = 0
      for (let i = 0; i < 200 && pid === 0; i++) {
        await new Promise((r) => setTimeout(r, 25))
        if (fs.existsSync(pidFile)) pid = Number(fs.readFileSync(pidFile, "utf8").trim()) || 0
      }
      expect(pid).toBeGreaterThan(0)
      holder.kill("SIGKILL")
      let alive = true
      for (let i = 0; i < 100 && alive; i++) {
        await new Promise((r) => setTimeout(r, 25))
        try {
          process.kill(pid, 0)
        } catch {
          alive = false
        }
      }
      if (alive) process.kill(pid, "SIGKILL") // do not leak it when the assertion below fails
      expect(alive).toBe(false)
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  })
})
