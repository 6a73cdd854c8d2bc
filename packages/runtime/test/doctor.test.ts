import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Doctor from "../src/Doctor.js"
import * as Setup from "../src/Setup.js"

const SETUP_TIMEOUT = 15 * 60_000
const hostKvm = Doctor.detectKvm()

describe("Doctor.detectKvm (fake /dev, /sys and /proc trees)", () => {
  const roots: Array<string> = []
  const fakeRoot = (files: Record<string, string>) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-kvm-"))
    roots.push(root)
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
      fs.writeFileSync(path.join(root, name), text)
    }
    return root
  }
  afterAll(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
  })

  it("says none without /dev/kvm", () => {
    expect(Doctor.detectKvm(fakeRoot({ "proc/cpuinfo": "flags\t: fpu\n" }))).toMatchObject({ present: false, flavour: "none" })
  })

  it("says pvm when module kvm_pvm is loaded", () => {
    const root = fakeRoot({ "dev/kvm": "", "sys/module/kvm_pvm/refcnt": "0\n", "proc/cpuinfo": "flags\t: fpu hypervisor\n" })
    expect(Doctor.detectKvm(root)).toMatchObject({ present: true, readable: true, flavour: "pvm" })
  })

  it("says nested when the host is itself a guest", () => {
    const root = fakeRoot({ "dev/kvm": "", "sys/module/kvm_intel/parameters/nested": "Y\n", "proc/cpuinfo": "flags\t: fpu vmx hypervisor\n" })
    const kvm = Doctor.detectKvm(root)
    expect(kvm.flavour).toBe("nested")
    expect(kvm.detail).toContain("kvm_intel.nested=Y")
  })

  it("says plain on bare metal", () => {
    const root = fakeRoot({ "dev/kvm": "", "sys/module/kvm_amd/parameters/nested": "1\n", "proc/cpuinfo": "flags\t: fpu svm\n" })
    expect(Doctor.detectKvm(root).flavour).toBe("plain")
  })
})

describe("Doctor.report on this host", () => {
  let report: Doctor.DoctorReport
  let probeCalls = 0

  beforeAll(async () => {
    await Setup.run()
    report = await Doctor.report({
      bootProbe: true,
      probe: async () => {
        probeCalls++
        return { booted: false, ready: false, status: null, reason: "fake probe: marshalling only", ms: 1 }
      }
    })
  }, SETUP_TIMEOUT)

  it("is plain JSON with every section", () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    expect(Object.keys(report).sort()).toEqual(
      ["bootProbe", "cacheDir", "engines", "hints", "host", "init", "kvm", "libkrun", "libkrunfw", "manifest", "ok", "rootfs", "runsc", "schema", "verdict"].sort()
    )
    expect(report.host).toMatchObject({ arch: process.arch, node: process.version })
    expect(["pvm", "nested", "plain", "none"]).toContain(report.kvm.flavour)
    expect(report.engines.libkrun).toEqual({ usable: expect.any(Boolean), reason: expect.any(String) })
    expect(report.engines.gvisor).toEqual({ usable: expect.any(Boolean), reason: expect.any(String) })
    expect(report.ok).toBe(report.engines.libkrun.usable || report.engines.gvisor.usable)
  })

  it("shows the cached libkrun with its features, libkrunfw 5, the static init and the rootfs", () => {
    expect(report.manifest.present).toBe(true)
    expect(report.libkrun.loaded).toBe(true)
    expect(report.libkrun.features["net"]).toBe(true)
    expect(report.libkrun.features["blk"]).toBe(true)
    expect(report.libkrunfw).toMatchObject({ loaded: true, abiVersion: 5 })
    expect(report.init).toMatchObject({ present: true, static: true, protocol: 1 })
    expect(report.rootfs?.hasShell).toBe(true)
  })

  it.skipIf(hostKvm.flavour !== "pvm")("under PVM skips the boot probe with the PVM verdict (this host is PVM)", () => {
    expect(probeCalls).toBe(0)
    expect(report.bootProbe).toEqual({ ran: false, skipped: Doctor.PVM_VERDICT, result: null })
    expect(report.engines.libkrun).toEqual({ usable: false, reason: Doctor.PVM_VERDICT })
    expect(report.hints.join("\n")).toContain("pnpm test:boot")
  })

  it.skipIf(hostKvm.flavour === "pvm" || !hostKvm.writable)(
    "puts the probe's outcome in the report and lets it decide libkrun's verdict (needs usable non-PVM KVM)",
    () => {
      expect(probeCalls).toBe(1)
      expect(report.bootProbe.result?.reason).toBe("fake probe: marshalling only")
      expect(report.engines.libkrun.usable).toBe(false)
    }
  )

  it("formats a readable summary", () => {
    const text = Doctor.format(report)
    for (const label of ["host", "kvm", "libkrun", "libkrunfw", "init", "rootfs", "runsc", "boot probe", "verdict"]) {
      expect(text).toMatch(new RegExp(`^${label} `, "m"))
    }
    expect(text).toContain(report.verdict)
  })
})

describe("Doctor.report without a runtime", () => {
  it("reports the missing manifest and libkrun as values, with the fix", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-empty-cache-"))
    try {
      const report = await Doctor.report({ cacheDir: empty })
      expect(report.manifest).toMatchObject({ present: false })
      expect(report.manifest.problem).toContain("setup has not run")
      expect(report.init).toBeNull()
      expect(report.rootfs).toBeNull()
      expect(report.hints).toContain("run `krunbox setup` to build and fetch the native runtime")
      if (!report.libkrun.loaded) expect(report.libkrun.error?._tag).toBe("LibraryNotFound")
    } finally {
      fs.rmSync(empty, { recursive: true, force: true })
    }
  })
})
