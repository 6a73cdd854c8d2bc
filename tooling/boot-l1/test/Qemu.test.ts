import { describe, expect, it } from "vitest"
import { cleanConsoleLine, parseMarker, qemuArgs } from "../src/Qemu.js"

describe("qemuArgs", () => {
  const args = qemuArgs({
    accel: "tcg,thread=multi",
    cpu: "qemu64,+svm,+npt",
    smp: 2,
    memoryMib: 3072,
    kernel: "/c/vmlinuz",
    initramfs: "/c/init.cpio.gz",
    disk: "/r/payload.img",
    append: ["krunbox_deadline=90"]
  })
  const value = (flag: string) => args[args.indexOf(flag) + 1]

  it("emulates an AMD CPU with SVM under TCG", () => {
    expect(value("-accel")).toBe("tcg,thread=multi")
    expect(value("-cpu")).toBe("qemu64,+svm,+npt")
    expect(value("-smp")).toBe("2")
    expect(value("-m")).toBe("3072")
  })

  it("never reboots, has no NIC and puts the serial console on stdio", () => {
    expect(args).toContain("-no-reboot")
    expect(value("-nic")).toBe("none")
    expect(value("-serial")).toBe("stdio")
    expect(value("-display")).toBe("none")
  })

  it("passes the kernel command line and the payload disk", () => {
    expect(value("-append")).toBe("console=ttyS0 panic=-1 quiet loglevel=4 krunbox_deadline=90")
    expect(value("-drive")).toBe("file=/r/payload.img,if=virtio,format=raw,cache=unsafe")
  })
})

describe("console parsing", () => {
  it("finds stage markers", () => {
    expect(parseMarker("krunbox-l1: step-exit sdk 0 uptime=12.5")).toEqual({ stage: "step-exit", detail: "sdk 0 uptime=12.5" })
    expect(parseMarker("[  1.0] random kernel line")).toBeUndefined()
    expect(parseMarker("krunbox-l1:   ")).toBeUndefined()
  })

  it("strips SeaBIOS's and colour escape sequences and carriage returns", () => {
    expect(cleanConsoleLine("\x1bc\x1b[?7l\x1b[2JBooting from ROM...\r")).toBe("Booting from ROM...")
    expect(cleanConsoleLine("\x1b[32m✓\x1b[39m ok")).toBe("✓ ok")
  })
})
