import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const run = (name: string, args: ReadonlyArray<string> = []) =>
  spawnSync(process.execPath, [fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url)), ...args], {
    encoding: "utf8",
    timeout: 15 * 60_000
  })

// Each example is a program a user runs with one command; here each one runs for real and
// checks its own result (exit code 0 means the example did what it says).
describe("examples", () => {
  it("hello", () => {
    const result = run("hello")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain("hello from a krunbox VM\nexit status: 0")
  })

  it("shell-script", () => {
    const result = run("shell-script")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain("GREETING=hello, TARGET=world")
  })

  it("shared-folder", () => {
    const result = run("shared-folder")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain("1 4 9 16 25")
  })

  it("parallel", () => {
    const result = run("parallel", ["4"])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain("worker 3: status 3")
  })

  it("timeout", () => {
    const result = run("timeout")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain("timedOut=true")
  })

  it("http-server (skips with its reason where the engine cannot map ports)", () => {
    const result = run("http-server")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/host fetched: "hello over HTTP"|skipped: .*(port|publish)/)
    console.log(result.stdout)
  })

  it("debian-python", () => {
    const result = run("debian-python")
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/python 3\.\d+\.\d+ on linux|skipped: /)
    console.log(result.stdout)
  }, 20 * 60_000)
})
