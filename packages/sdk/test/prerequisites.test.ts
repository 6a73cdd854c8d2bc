/**
 * The rule the sdk's skips follow: outside CI a missing prerequisite skips with its reason; under
 * CI nothing is skipped but the documented PVM case, and the full-boot suite decides from the
 * host's facts, not from the SDK's boot probe.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { hostKvmForBoots, isCI, prerequisite } from "@krunbox/testing"

describe("prerequisites", () => {
  it("outside CI a missing prerequisite skips, with the reason in the title", () => {
    const missing = prerequisite("runsc is not installed", false)
    expect(missing.skip).toBe(true)
    expect(missing.title("gvisor engine")).toBe("gvisor engine (skipped: runsc is not installed)")
  })

  it("under CI it does not skip: the test runs and fails at once with the reason", () => {
    const missing = prerequisite("runsc is not installed", true)
    expect(missing.skip).toBe(false)
    expect(missing.title("gvisor engine")).toBe("gvisor engine")
    expect(() => missing.check()).toThrow("prerequisite missing under CI, where skipping is not allowed: runsc is not installed")
  })

  it("nothing missing: runs everywhere", () => {
    for (const ci of [true, false]) {
      const present = prerequisite("", ci)
      expect(present.skip).toBe(false)
      expect(() => present.check()).not.toThrow()
    }
  })

  it.each([["true", true], ["1", true], ["0", false], ["false", false], ["", false], [undefined, false]] as const)("CI=%s means CI: %s", (value, expected) => {
    expect(isCI(value === undefined ? {} : { CI: value })).toBe(expected)
  })
})

describe("hostKvmForBoots (from the host's facts only)", () => {
  const dir = mkdtempSync(join(tmpdir(), "krunbox-test-kvm-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const modules = join(dir, "modules")
  mkdirSync(modules)

  it("a usable /dev/kvm of a non-PVM host: boots must run", () => {
    writeFileSync(join(dir, "kvm"), "")
    expect(hostKvmForBoots(join(dir, "kvm"), modules)).toBe("kvm")
  })

  it("kvm_pvm loaded: the documented PVM skip", () => {
    mkdirSync(join(modules, "kvm_pvm"), { recursive: true })
    expect(hostKvmForBoots(join(dir, "kvm"), modules)).toBe("pvm")
    rmSync(join(modules, "kvm_pvm"), { recursive: true })
  })

  it("no /dev/kvm: none", () => {
    expect(hostKvmForBoots(join(dir, "no-kvm"), modules)).toBe("none")
  })
})
