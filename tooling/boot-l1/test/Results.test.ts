import { describe, expect, it } from "vitest"
import { formatOutcomes, parseVitestJson, verdict } from "../src/Results.js"

const report = (files: ReadonlyArray<object>, success = true) => JSON.stringify({ success, testResults: files })

describe("parseVitestJson", () => {
  it("turns assertion results into outcomes relative to the checkout", () => {
    const suite = parseVitestJson(
      report([
        {
          name: "/w/packages/sdk/test/boot.test.ts",
          status: "passed",
          message: "",
          assertionResults: [
            { fullName: "boot exit 3", status: "passed", duration: 4012.6, failureMessages: [] },
            { fullName: "boot skip", status: "pending", duration: null, failureMessages: [] }
          ]
        }
      ]),
      "/w/"
    )
    expect(suite.success).toBe(true)
    expect(suite.tests).toEqual([
      { file: "packages/sdk/test/boot.test.ts", name: "boot exit 3", status: "passed", durationMs: 4013, failureMessages: [] },
      { file: "packages/sdk/test/boot.test.ts", name: "boot skip", status: "skipped", durationMs: undefined, failureMessages: [] }
    ])
  })

  it("keeps file-level failures (a test file that did not load)", () => {
    const suite = parseVitestJson(report([{ name: "/w/a.test.ts", status: "failed", message: "SyntaxError", assertionResults: [] }], false), "/w/")
    expect(suite.success).toBe(false)
    expect(suite.fileErrors).toEqual([{ file: "a.test.ts", message: "SyntaxError" }])
  })

  it("reads an unknown status as a failure", () => {
    const suite = parseVitestJson(report([{ name: "a", assertionResults: [{ fullName: "t", status: "weird" }] }]))
    expect(suite.tests[0]?.status).toBe("failed")
  })
})

describe("verdict", () => {
  const passed = { file: "f", name: "engine, full boot p", status: "passed", durationMs: 1, failureMessages: [] } as const
  const skippedBoot = { file: "f", name: "engine, full boot s", status: "skipped", durationMs: undefined, failureMessages: [] } as const
  const skippedPvm = { file: "f", name: "on this PVM host q", status: "skipped", durationMs: undefined, failureMessages: [] } as const
  const failed = { file: "f", name: "x", status: "failed", durationMs: 2, failureMessages: ["boom"] } as const
  const required = /full boot/

  it("passes when the required tests passed, whatever else was skipped", () => {
    expect(verdict({ success: true, tests: [passed, skippedPvm], fileErrors: [] }, required)).toEqual([])
  })

  it("fails when a required test was skipped", () => {
    expect(verdict({ success: true, tests: [passed, skippedBoot], fileErrors: [] }, required)).toEqual([
      "skipped inside the L1, where /dev/kvm is a real KVM: f > engine, full boot s"
    ])
  })

  it("fails when no required test ran at all, unless the check is off", () => {
    const tests = [{ ...passed, name: "something else" }]
    expect(verdict({ success: true, tests, fileErrors: [] }, required)).toEqual(["no test matching /full boot/ ran (they are the point of the L1)"])
    expect(verdict({ success: true, tests, fileErrors: [] }, undefined)).toEqual([])
  })

  it("reports failures with their messages, and an empty run", () => {
    expect(verdict({ success: false, tests: [failed], fileErrors: [] }, undefined)).toEqual(["failed: f > x\nboom", "no test passed inside the L1"])
  })

  it("formats one line per test with its wall time", () => {
    expect(formatOutcomes([passed, skippedPvm])).toBe("passed     0.0s  f > engine, full boot p\nskipped     -    f > on this PVM host q")
  })
})
