import { describe, expect, it } from "vitest"
import { kernelDependency, loadOrder, moduleDepends, moduleName } from "../src/Kernel.js"
import { KernelModuleMissing } from "../src/errors.js"

const modinfo = (fields: ReadonlyArray<string>): Uint8Array => Buffer.from(`\x7fELF junk\0${fields.join("\0")}\0more`, "latin1")

describe("kernel package parsing", () => {
  it("reads the pinned kernel out of the meta package's Depends", () => {
    expect(kernelDependency("linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)")).toEqual({
      name: "linux-image-6.1.0-57-cloud-amd64",
      version: "6.1.192-3"
    })
    expect(kernelDependency("kmod, linux-image-6.12.1-cloud-amd64 | linux-image-x")).toEqual({
      name: "linux-image-6.12.1-cloud-amd64",
      version: undefined
    })
    expect(kernelDependency("kmod, linux-base (>= 4.3~)")).toBeUndefined()
  })

  it("normalises module file names", () => {
    expect(moduleName("kvm-amd.ko")).toBe("kvm_amd")
    expect(moduleName("virtio_blk.ko.xz")).toBe("virtio_blk")
  })

  it("reads depends= from a module's modinfo strings", () => {
    expect(moduleDepends(modinfo(["license=GPL", "depends=virtio_ring,virtio-pci-modern-dev", "vermagic=6.1"]))).toEqual([
      "virtio_ring",
      "virtio_pci_modern_dev"
    ])
    expect(moduleDepends(modinfo(["depends="]))).toEqual([])
    expect(moduleDepends(modinfo(["license=GPL"]))).toEqual([])
  })
})

describe("loadOrder", () => {
  const deps: Record<string, ReadonlyArray<string>> = {
    kvm_amd: ["kvm"],
    kvm: ["irqbypass"],
    irqbypass: [],
    virtio_blk: ["virtio", "virtio_ring"],
    virtio: ["virtio_ring"],
    virtio_ring: []
  }

  it("puts dependencies first and each module once", () => {
    expect(loadOrder(["kvm_amd", "virtio_blk"], (name) => deps[name], () => false, "/k")).toEqual([
      "irqbypass",
      "kvm",
      "kvm_amd",
      "virtio_ring",
      "virtio",
      "virtio_blk"
    ])
  })

  it("skips built-in modules", () => {
    expect(loadOrder(["virtio_blk"], (name) => deps[name], (name) => name === "virtio" || name === "virtio_ring", "/k")).toEqual(["virtio_blk"])
  })

  it("names a module that is neither present nor built in", () => {
    const attempt = () => loadOrder(["kvm_intel"], (name) => deps[name], () => false, "/lib/modules/x/kernel")
    expect(attempt).toThrow(KernelModuleMissing)
    expect(attempt).toThrow(/kvm_intel\.ko not found under \/lib\/modules\/x\/kernel/)
  })
})
