import { describe, expect, it } from "vitest"
import { MAX_TIMEOUT_MS } from "@krunbox/sdk"
import { parseDuration } from "../src/cli/Duration.js"
import { flag, flags, has, parse } from "../src/cli/Parser.js"
import { UsageError } from "../src/cli/UsageError.js"
import { runSpec, setupSpec } from "../src/commands/specs.js"

describe("run's argument parser", () => {
  it("stops at the first operand so the workload keeps its own flags", () => {
    const parsed = parse(runSpec, ["--cpus", "2", "sh", "-c", "echo hi", "--cpus"])
    expect(flag(parsed, "cpus")).toBe("2")
    expect(parsed.operands).toEqual(["sh", "-c", "echo hi", "--cpus"])
    expect(parsed.ref).toBeUndefined()
  })

  it("treats everything after -- as the workload", () => {
    expect(parse(runSpec, ["--", "/bin/echo", "--json"]).operands).toEqual(["/bin/echo", "--json"])
  })

  it("reads IMAGE -- CMD as an image reference and a command", () => {
    const parsed = parse(runSpec, ["alpine:3.20", "--", "cat", "/etc/os-release"])
    expect(parsed.ref).toBe("alpine:3.20")
    expect(parsed.operands).toEqual(["cat", "/etc/os-release"])
  })

  it("collects repeated flags in order, in every spelling", () => {
    const parsed = parse(runSpec, ["-v", "/a:/a", "--volume=/b:/b", "-v/c:/c", "-e", "A=1", "--", "true"])
    expect(flags(parsed, "volume")).toEqual(["/a:/a", "/b:/b", "/c:/c"])
    expect(flags(parsed, "env")).toEqual(["A=1"])
  })

  it("reads switches", () => {
    expect(has(parse(runSpec, ["--json", "--", "true"]), "json")).toBe(true)
    expect(has(parse(setupSpec, []), "force")).toBe(false)
  })

  it.each([
    [["--cpu", "2", "--", "true"], /unknown flag.*"--cpu".*Did you mean --cpus/],
    [["--net", "internet", "--", "true"], /invalid value for --net: "internet"\. Use one of: none, group, public, any/],
    [["--memory"], /--memory needs a value.*--memory MIB/],
    [["--json=yes", "--", "true"], /--json is a switch/]
  ])("rejects %j with a message naming the value and the fix", (argv, message) => {
    expect(() => parse(runSpec, argv)).toThrow(UsageError)
    expect(() => parse(runSpec, argv)).toThrow(message)
  })
})

describe("durations", () => {
  it.each([
    ["30", 30_000],
    ["1.5", 1500],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h30m", 5_400_000],
    ["597h", 597 * 3_600_000],
    ["8760h", MAX_TIMEOUT_MS]
  ])("%s is %d ms", (text, ms) => expect(parseDuration("timeout", text)).toBe(ms))

  it.each(["", "abc", "5 s", "-1s", "0s", "10x"])("rejects %j", (text) =>
    expect(() => parseDuration("timeout", text)).toThrow(/--timeout/)
  )

  it.each(["8760h1ms", "8761h", "99999999999999999999h", "1e400"])("refuses %j beyond the 365-day maximum (or no number) with a UsageError", (text) => {
    expect(() => parseDuration("timeout", text)).toThrow(UsageError)
    expect(() => parseDuration("timeout", text)).toThrow(/--timeout/)
  })
})
