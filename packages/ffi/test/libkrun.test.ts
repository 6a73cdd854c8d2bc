import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { accessSync, constants as fsConstants } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import koffi from "koffi"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import {
  type ContextId,
  InvalidArgument,
  KRUN_FS_ROOT_TAG,
  KRUN_MAX_ARRAY_ENTRIES,
  KrunDiskFormat,
  KrunError,
  KrunFeature,
  KrunKernelFormat,
  KrunNetFeature,
  KrunNetFlag,
  KrunSyncMode,
  KrunTsiHijack,
  KrunVirglFlag,
  LIBKRUN_FUNCTIONS,
  LIBKRUN_FUNCTION_NAMES,
  Libkrun,
  type LibkrunFunctionName,
  type LibkrunLibrary,
  Libkrunfw,
  StartEnterNotAllowed,
  SymbolNotAvailable
} from "../src/index.js"
import { realLibkrun, realLibraryTitle, skipRealLibrary } from "./support/runtime.js"


const notUtf8 = Uint8Array.of(0x2f, 0x74, 0xff, 0xfe)
const mac = Uint8Array.of(0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee)

/** The KrunError a call throws; fails the test if it throws something else or succeeds. */
const krunError = (call: () => unknown): KrunError => {
  try {
    call()
  } catch (error) {
    if (KrunError.isInstance(error)) return error
    throw error
  }
  throw new Error("expected a KrunError, but the call succeeded")
}

const thrown = (call: () => unknown): unknown => {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error("expected the call to throw, but it succeeded")
}

describe.skipIf(skipRealLibrary)(realLibraryTitle("libkrun (real library)"), () => {
  let krun: LibkrunLibrary
  let scratch: string
  let devNull: number
  let devNullOut: number
  let pty: number | undefined
  const live = new Set<ContextId>()
  const has = (feature: keyof typeof KrunFeature): boolean => krun.hasFeature(KrunFeature[feature])

  const fresh = (): ContextId => {
    const ctx = krun.createCtx()
    live.add(ctx)
    return ctx
  }

  /** A context id libkrun no longer knows: created, then freed. */
  const unknownContext = (): ContextId => {
    const ctx = krun.createCtx()
    krun.freeCtx(ctx)
    return ctx
  }

  beforeAll(() => {
    krun = realLibkrun()
    scratch = mkdtempSync(join(tmpdir(), "krunbox-ffi-libkrun-"))
    devNull = openSync("/dev/null", "r")
    devNullOut = openSync("/dev/null", "w")
    try {
      pty = openSync("/dev/ptmx", "r+")
    } catch {
      pty = undefined
    }
  })

  afterEach(() => {
    // Every context a test created must still be freeable: nothing leaks, nothing was freed twice.
    for (const ctx of live) krun.freeCtx(ctx)
    live.clear()
  })

  afterAll(() => {
    closeSync(devNull)
    closeSync(devNullOut)
    if (pty !== undefined) closeSync(pty)
    rmSync(scratch, { recursive: true, force: true })
  })

  describe("loading", () => {
    it("finds libkrun and libkrunfw through discovery and preloads libkrunfw", () => {
      expect(existsSync(krun.realPath)).toBe(true)
      expect(["env", "manifest", "loader", "system"]).toContain(krun.source)
      expect(krun.probes.at(-1)?.outcome).toBe("loaded")
      expect(krun.libkrunfw).toBeDefined()
      expect(existsSync(krun.libkrunfw?.realPath ?? "")).toBe(true)
    })

    it("reports libkrun 1.19.0 and where that version was read", () => {
      expect(krun.version).toBe("1.19.0")
      expect(["manifest", "file-name", "build-path"]).toContain(krun.versionSource)
    })

    it("is idempotent: loading again, even by explicit path, returns the same instance", () => {
      expect(Libkrun.load()).toBe(krun)
      expect(Libkrun.load({ path: krun.realPath, libkrunfwPath: krun.libkrunfw?.realPath ?? "" })).toBe(krun)
      expect(Libkrunfw.load({ path: krun.libkrunfw?.realPath ?? "" })).toBe(krun.libkrunfw)
    })

    it("makes libkrunfw.so.5 resolvable by SONAME, which is how libkrun dlopens it", () => {
      const bySoname = koffi.load("libkrunfw.so.5")
      const version: unknown = bySoname.func("int krunfw_get_version()")()
      expect(version).toBe(5)
      // The same mapping: its kernel lives at the address the preloaded copy reports.
      const kernel: unknown = bySoname.func("void *krunfw_get_kernel(_Out_ size_t *a, _Out_ size_t *b, _Out_ size_t *c)")(
        [null],
        [null],
        [null]
      )
      expect(kernel).toBe(krun.libkrunfw?.getKernel().hostAddress)
    })

    it("reads libkrunfw's ABI version and bundled kernel", () => {
      const fw = krun.libkrunfw
      expect(fw?.getVersion()).toBe(5)
      const kernel = fw?.getKernel()
      expect(kernel?.size).toBeGreaterThan(1024 * 1024)
      expect(kernel?.hostAddress).not.toBe(0n)
      expect(kernel?.entryAddress).toBeGreaterThanOrEqual(kernel?.loadAddress ?? 0n)
    })
  })

  describe("symbols", () => {
    const expectedAvailable = (name: LibkrunFunctionName): boolean => {
      const requires = LIBKRUN_FUNCTIONS[name].requires ?? {}
      return (
        (requires.features ?? []).every(has) &&
        !(requires.absentFeatures ?? []).some(has) &&
        (requires.platforms === undefined || requires.platforms.includes(process.platform))
      )
    }

    it.each(LIBKRUN_FUNCTION_NAMES)("%s resolves exactly when krun_has_feature says the build has it", (name) => {
      expect(krun.isAvailable(name)).toBe(expectedAvailable(name))
    })

    it("explains a missing symbol by the feature that provides it", () => {
      const missing = LIBKRUN_FUNCTION_NAMES.filter((name) => !krun.isAvailable(name))
      for (const name of missing) {
        const reason = krun.unavailableReason(name)
        expect(reason?._tag).toBe("SymbolNotAvailable")
        expect(reason?.function).toBe(name)
        expect(reason?.libraryVersion).toBe(krun.version)
        expect(reason?.since).toBe(LIBKRUN_FUNCTIONS[name].since)
        for (const feature of LIBKRUN_FUNCTIONS[name].requires?.features ?? []) {
          if (!has(feature)) expect(reason?.message).toContain(`KRUN_FEATURE_`)
        }
      }
    })

    it("throws SymbolNotAvailable, not a load failure, when a gated function is called", () => {
      const ctx = fresh()
      if (has("Tee")) {
        krun.setTeeConfigFile(ctx, join(scratch, "tee.json"))
        return
      }
      const error = thrown(() => krun.setTeeConfigFile(ctx, join(scratch, "tee.json")))
      expect(SymbolNotAvailable.isInstance(error)).toBe(true)
      expect((error as SymbolNotAvailable).function).toBe("krun_set_tee_config_file")
      expect((error as SymbolNotAvailable).providedBy).toContain('"tee" (KRUN_FEATURE_TEE)')
      expect((error as SymbolNotAvailable).reason).toContain("krun_has_feature reports 0")
    })
  })

  describe("context-free queries", () => {
    it("hasFeature answers for every KRUN_FEATURE_* and rejects an unknown id with EINVAL", () => {
      for (const id of Object.values(KrunFeature)) expect(typeof krun.hasFeature(id)).toBe("boolean")
      const error = krunError(() => krun.hasFeature(12))
      expect(error.errnoName).toBe("EINVAL")
      expect(error.function).toBe("krun_has_feature")
      expect(error.arguments).toEqual([12])
    })

    it("getMaxVcpus reports the hypervisor's limit, or EINVAL when /dev/kvm cannot be opened", () => {
      let kvmUsable = true
      try {
        accessSync("/dev/kvm", fsConstants.R_OK | fsConstants.W_OK)
      } catch {
        kvmUsable = false
      }
      if (kvmUsable) {
        expect(krun.getMaxVcpus()).toBeGreaterThan(0)
      } else {
        expect(krunError(() => krun.getMaxVcpus()).errnoName).toBe("EINVAL")
      }
    })

    it("checkNestedVirt matches the kvm modules' nested parameter", () => {
      const nested = ["kvm_intel", "kvm_amd"].some((module) => {
        try {
          const value = readFileSync(`/sys/module/${module}/parameters/nested`, "utf8").trim()
          return value === "1" || value.toUpperCase() === "Y"
        } catch {
          return false
        }
      })
      expect(krun.checkNestedVirt()).toBe(nested)
    })

    it("getDefaultInit returns the embedded init (an ELF) or ENOTSUP without init-blob", () => {
      if (has("InitBlob")) {
        const init = krun.getDefaultInit()
        expect(init.byteLength).toBeGreaterThan(1024)
        expect(Array.from(init.subarray(0, 4))).toEqual([0x7f, 0x45, 0x4c, 0x46])
      } else {
        expect(krunError(() => krun.getDefaultInit()).errnoName).toBe("ENOTSUP")
      }
    })
  })

  describe("contexts", () => {
    it("creates distinct contexts and frees each exactly once", () => {
      const a = krun.createCtx()
      const b = krun.createCtx()
      expect(b).toBeGreaterThan(a)
      krun.freeCtx(a)
      krun.freeCtx(b)
      const again = krunError(() => krun.freeCtx(a))
      expect(again.errnoName).toBe("ENOENT")
      expect(again.returnCode).toBe(-again.errno)
      expect(again.errnoMessage).toBe("No such file or directory")
      expect(again.message).toContain("krun_free_ctx")
    })

    it("refuses startEnter without the explicit opt-in, before touching the context", () => {
      const ctx = fresh()
      const error = thrown(() => Reflect.apply(krun.startEnter, krun, [ctx]))
      expect(StartEnterNotAllowed.isInstance(error)).toBe(true)
      expect((error as StartEnterNotAllowed).contextId).toBe(ctx)
      expect(thrown(() => Reflect.apply(krun.startEnter, krun, [ctx, { iUnderstandThisEndsTheProcess: "yes" }]))).toBeInstanceOf(
        StartEnterNotAllowed
      )
      krun.setVmConfig(ctx, 1, 256) // still configurable: the refusal did not consume it
    })
  })

  type Call = (k: LibkrunLibrary, ctx: ContextId) => unknown

  interface SetterCase {
    readonly fn: LibkrunFunctionName
    /** A call libkrun accepts on a fresh context (after `setup`). */
    readonly valid: Call
    readonly setup?: Call
    /** Documented refusals: description, call (after `setup`), errno name. */
    readonly rejects?: ReadonlyArray<readonly [string, Call, string]>
  }

  const path = (name: string): string => join(scratch, name)
  const setters: ReadonlyArray<SetterCase> = [
    {
      fn: "krun_set_vm_config",
      valid: (k, c) => k.setVmConfig(c, 2, 1024),
      rejects: [["zero vCPUs", (k, c) => k.setVmConfig(c, 0, 512), "EINVAL"]]
    },
    {
      fn: "krun_set_root",
      valid: (k, c) => k.setRoot(c, scratch),
      rejects: [["a non-UTF-8 path", (k, c) => k.setRoot(c, notUtf8), "EINVAL"]]
    },
    {
      fn: "krun_set_root_disk",
      valid: (k, c) => k.setRootDisk(c, path("root.img")),
      rejects: [["a non-UTF-8 path", (k, c) => k.setRootDisk(c, notUtf8), "EINVAL"]]
    },
    {
      fn: "krun_set_data_disk",
      valid: (k, c) => k.setDataDisk(c, path("data.img")),
      rejects: [["a non-UTF-8 path", (k, c) => k.setDataDisk(c, notUtf8), "EINVAL"]]
    },
    {
      fn: "krun_add_disk",
      valid: (k, c) => k.addDisk(c, "vda", path("vda.img"), true),
      rejects: [["a non-UTF-8 block id", (k, c) => k.addDisk(c, notUtf8, path("vda.img"), true), "EINVAL"]]
    },
    {
      fn: "krun_add_disk2",
      valid: (k, c) => k.addDisk2(c, "vdb", path("vdb.qcow2"), KrunDiskFormat.Qcow2, false),
      rejects: [["an unknown disk format", (k, c) => k.addDisk2(c, "vdb", path("vdb.img"), 3, false), "EINVAL"]]
    },
    {
      fn: "krun_add_disk3",
      valid: (k, c) => k.addDisk3(c, "vdc", path("vdc.img"), KrunDiskFormat.Raw, false, true, KrunSyncMode.Relaxed),
      rejects: [
        ["an unknown sync mode", (k, c) => k.addDisk3(c, "vdc", path("vdc.img"), KrunDiskFormat.Raw, false, false, 3), "EINVAL"],
        ["an unknown disk format", (k, c) => k.addDisk3(c, "vdc", path("vdc.img"), 9, false, false, KrunSyncMode.Full), "EINVAL"]
      ]
    },
    {
      fn: "krun_add_virtiofs",
      valid: (k, c) => k.addVirtiofs(c, "share", scratch),
      rejects: [["a non-UTF-8 tag", (k, c) => k.addVirtiofs(c, notUtf8, scratch), "EINVAL"]]
    },
    {
      fn: "krun_add_virtiofs2",
      valid: (k, c) => k.addVirtiofs2(c, "share", scratch, 1 << 24),
      rejects: [["a non-UTF-8 path", (k, c) => k.addVirtiofs2(c, "share", notUtf8, 0), "EINVAL"]]
    },
    {
      fn: "krun_add_virtiofs3",
      valid: (k, c) => k.addVirtiofs3(c, "virtual", null, 0n, true),
      rejects: [["a non-UTF-8 path", (k, c) => k.addVirtiofs3(c, "share", notUtf8, 0, false), "EINVAL"]]
    },
    {
      fn: "krun_add_net_unixstream",
      valid: (k, c) => k.addNetUnixstream(c, path("passt.sock"), -1, mac, KrunNetFeature.Csum, KrunNetFlag.DhcpClient),
      rejects: [
        ["neither a path nor an fd", (k, c) => k.addNetUnixstream(c, null, -1, mac, 0, 0), "EINVAL"],
        ["both a path and an fd", (k, c) => k.addNetUnixstream(c, path("passt.sock"), devNull, mac, 0, 0), "EINVAL"],
        ["the vfkit flag", (k, c) => k.addNetUnixstream(c, path("passt.sock"), -1, mac, 0, KrunNetFlag.Vfkit), "EINVAL"],
        ["an unknown feature bit", (k, c) => k.addNetUnixstream(c, path("passt.sock"), -1, mac, 1 << 20, 0), "EINVAL"]
      ]
    },
    {
      fn: "krun_add_net_unixgram",
      valid: (k, c) => k.addNetUnixgram(c, null, devNull, mac, 0, 0),
      rejects: [
        ["neither a path nor an fd", (k, c) => k.addNetUnixgram(c, null, -1, mac, 0, 0), "EINVAL"],
        ["an unknown flag", (k, c) => k.addNetUnixgram(c, path("gv.sock"), -1, mac, 0, 1 << 5), "EINVAL"]
      ]
    },
    {
      fn: "krun_add_net_tap",
      valid: (k, c) => k.addNetTap(c, "tap0", mac, KrunNetFeature.GuestCsum | KrunNetFeature.GuestTso4, 0),
      rejects: [["GUEST_TSO4 without GUEST_CSUM", (k, c) => k.addNetTap(c, "tap0", mac, KrunNetFeature.GuestTso4, 0), "EINVAL"]]
    },
    {
      fn: "krun_set_passt_fd",
      valid: (k, c) => k.setPasstFd(c, devNull),
      rejects: [
        ["a negative fd", (k, c) => k.setPasstFd(c, -1), "EINVAL"],
        [
          "a call after krun_add_net_*",
          (k, c) => {
            k.addNetUnixgram(c, null, devNull, mac, 0, 0)
            k.setPasstFd(c, devNull)
          },
          "EINVAL"
        ]
      ]
    },
    {
      fn: "krun_set_gvproxy_path",
      valid: (k, c) => k.setGvproxyPath(c, path("gvproxy.sock")),
      rejects: [["a non-UTF-8 path", (k, c) => k.setGvproxyPath(c, notUtf8), "EINVAL"]]
    },
    { fn: "krun_set_net_mac", valid: (k, c) => k.setNetMac(c, [0x02, 0, 0, 0, 0, 0x01]) },
    {
      fn: "krun_set_port_map",
      valid: (k, c) => k.setPortMap(c, ["8080:80", "8443:443"]),
      rejects: [
        ["an entry without a colon", (k, c) => k.setPortMap(c, ["8080"]), "EINVAL"],
        ["a port above 65535", (k, c) => k.setPortMap(c, ["70000:80"]), "EINVAL"],
        ["a guest port mapped twice", (k, c) => k.setPortMap(c, ["8080:80", "8081:80"]), "EINVAL"],
        ["a non-UTF-8 entry", (k, c) => k.setPortMap(c, ["8080:80", notUtf8]), "EINVAL"],
        [
          "a port map after a net device",
          (k, c) => {
            k.addNetUnixstream(c, path("passt.sock"), -1, mac, 0, 0)
            k.setPortMap(c, ["8080:80"])
          },
          "EINVAL"
        ],
        [
          "a port map without vsock",
          (k, c) => {
            k.disableImplicitVsock(c)
            k.setPortMap(c, [])
          },
          "ENODEV"
        ]
      ]
    },
    { fn: "krun_set_gpu_options", valid: (k, c) => k.setGpuOptions(c, KrunVirglFlag.Venus | KrunVirglFlag.NoVirgl) },
    { fn: "krun_set_gpu_options2", valid: (k, c) => k.setGpuOptions2(c, KrunVirglFlag.UseEgl, 1n << 33n) },
    { fn: "krun_set_snd_device", valid: (k, c) => k.setSndDevice(c, true) },
    {
      fn: "krun_set_rlimits",
      valid: (k, c) => k.setRlimits(c, ["7=1024:2048", "6=100:200"]),
      rejects: [["a non-UTF-8 entry", (k, c) => k.setRlimits(c, [notUtf8]), "EINVAL"]]
    },
    {
      fn: "krun_set_smbios_oem_strings",
      valid: (k, c) => k.setSmbiosOemStrings(c, ["io.krunbox.test=1", ""]),
      rejects: [["a non-UTF-8 entry", (k, c) => k.setSmbiosOemStrings(c, ["ok", notUtf8]), "EINVAL"]]
    },
    {
      fn: "krun_set_workdir",
      valid: (k, c) => k.setWorkdir(c, "/tmp"),
      rejects: [["a non-UTF-8 path", (k, c) => k.setWorkdir(c, notUtf8), "EINVAL"]]
    },
    {
      fn: "krun_set_exec",
      valid: (k, c) => k.setExec(c, "/bin/sh", ["-c", "exit 3"], ["A=1", "EMPTY="]),
      rejects: [
        ["a non-UTF-8 exec path", (k, c) => k.setExec(c, notUtf8, [], []), "EINVAL"],
        ["a non-UTF-8 argument", (k, c) => k.setExec(c, "/bin/sh", ["-c", notUtf8], []), "EINVAL"],
        ["a non-UTF-8 environment entry", (k, c) => k.setExec(c, "/bin/sh", null, [notUtf8]), "EINVAL"]
      ]
    },
    {
      fn: "krun_set_firmware",
      valid: (k, c) => k.setFirmware(c, path("firmware.fd")),
      rejects: [["a non-UTF-8 path", (k, c) => k.setFirmware(c, notUtf8), "EINVAL"]]
    },
    {
      fn: "krun_set_kernel",
      valid: (k, c) => k.setKernel(c, path("vmlinux"), KrunKernelFormat.Elf, null, "console=hvc0"),
      rejects: [
        ["a raw kernel that does not exist", (k, c) => k.setKernel(c, path("missing"), KrunKernelFormat.Raw, null, null), "EINVAL"],
        ["an unknown kernel format", (k, c) => k.setKernel(c, path("vmlinux"), 6, null, null), "EINVAL"],
        ["a missing initramfs", (k, c) => k.setKernel(c, path("vmlinux"), KrunKernelFormat.Elf, path("missing.cpio"), null), "EINVAL"]
      ]
    },
    {
      fn: "krun_set_env",
      valid: (k, c) => k.setEnv(c, ["HOME=/root"]),
      rejects: [["a non-UTF-8 entry", (k, c) => k.setEnv(c, [notUtf8]), "EINVAL"]]
    },
    {
      fn: "krun_add_vsock_port",
      valid: (k, c) => k.addVsockPort(c, 1100, path("control.sock")),
      rejects: [
        [
          "a port without vsock",
          (k, c) => {
            k.disableImplicitVsock(c)
            k.addVsockPort(c, 1100, path("control.sock"))
          },
          "ENODEV"
        ]
      ]
    },
    {
      fn: "krun_add_vsock_port2",
      valid: (k, c) => k.addVsockPort2(c, 1101, path("listen.sock"), true),
      rejects: [["listening on an existing path", (k, c) => k.addVsockPort2(c, 1101, scratch, true), "EEXIST"]]
    },
    {
      fn: "krun_add_vsock",
      setup: (k, c) => k.disableImplicitVsock(c),
      valid: (k, c) => k.addVsock(c, KrunTsiHijack.Inet),
      rejects: [["an unknown TSI bit", (k, c) => k.addVsock(c, 1 << 4), "EINVAL"]]
    },
    {
      fn: "krun_set_console_output",
      valid: (k, c) => k.setConsoleOutput(c, path("console.log")),
      rejects: [
        [
          "a second console output",
          (k, c) => {
            k.setConsoleOutput(c, path("console.log"))
            k.setConsoleOutput(c, path("console2.log"))
          },
          "EINVAL"
        ]
      ]
    },
    { fn: "krun_setuid", valid: (k, c) => k.setuid(c, 65534) },
    { fn: "krun_setgid", valid: (k, c) => k.setgid(c, 65534) },
    { fn: "krun_set_nested_virt", valid: (k, c) => k.setNestedVirt(c, true) },
    { fn: "krun_split_irqchip", valid: (k, c) => k.splitIrqchip(c, process.arch === "x64") },
    { fn: "krun_disable_implicit_console", valid: (k, c) => k.disableImplicitConsole(c) },
    { fn: "krun_disable_implicit_init", valid: (k, c) => k.disableImplicitInit(c) },
    { fn: "krun_disable_implicit_vsock", valid: (k, c) => k.disableImplicitVsock(c) },
    {
      fn: "krun_fs_add_overlay_dir",
      setup: (k, c) => k.setRoot(c, scratch),
      valid: (k, c) => k.fsAddOverlayDir(c, KRUN_FS_ROOT_TAG, "etc", 0o40755),
      rejects: [
        ["an unknown fs tag", (k, c) => k.fsAddOverlayDir(c, "nope", "etc", 0o40755), "ENOENT"],
        ["a missing parent", (k, c) => k.fsAddOverlayDir(c, KRUN_FS_ROOT_TAG, "usr/lib", 0o40755), "ENOENT"],
        ["an empty path", (k, c) => k.fsAddOverlayDir(c, KRUN_FS_ROOT_TAG, "", 0o40755), "EINVAL"]
      ]
    },
    {
      fn: "krun_fs_add_overlay_file",
      setup: (k, c) => {
        k.setRoot(c, scratch)
        k.fsAddOverlayDir(c, KRUN_FS_ROOT_TAG, "etc", 0o40755)
      },
      valid: (k, c) => k.fsAddOverlayFile(c, KRUN_FS_ROOT_TAG, "etc/hostname", Buffer.from("vm\n"), 0o100644, false),
      rejects: [
        [
          "a file under a file",
          (k, c) => {
            k.fsAddOverlayFile(c, KRUN_FS_ROOT_TAG, "etc/hostname", Buffer.from("vm\n"), 0o100644, false)
            k.fsAddOverlayFile(c, KRUN_FS_ROOT_TAG, "etc/hostname/x", new Uint8Array(0), 0o100644, true)
          },
          "ENOTDIR"
        ],
        ["a non-UTF-8 path", (k, c) => k.fsAddOverlayFile(c, KRUN_FS_ROOT_TAG, notUtf8, Buffer.from("x"), 0o100644, false), "EINVAL"]
      ]
    },
    {
      fn: "krun_set_kernel_console",
      valid: (k, c) => k.setKernelConsole(c, "hvc0"),
      rejects: [["a non-UTF-8 console id", (k, c) => k.setKernelConsole(c, notUtf8), "EINVAL"]]
    },
    { fn: "krun_add_virtio_console_default", valid: (k, c) => k.addVirtioConsoleDefault(c, devNull, devNullOut, devNullOut) },
    { fn: "krun_add_serial_console_default", valid: (k, c) => k.addSerialConsoleDefault(c, devNull, devNullOut) },
    {
      fn: "krun_add_virtio_console_multiport",
      valid: (k, c) => expect(k.addVirtioConsoleMultiport(c)).toBe(0)
    },
    {
      fn: "krun_add_console_port_inout",
      setup: (k, c) => k.addVirtioConsoleMultiport(c),
      valid: (k, c) => k.addConsolePortInout(c, 0, "krunbox-control", devNull, devNullOut),
      rejects: [["an unknown console id", (k, c) => k.addConsolePortInout(c, 7, null, devNull, devNullOut), "EINVAL"]]
    },
    {
      fn: "krun_add_console_port_tty",
      setup: (k, c) => k.addVirtioConsoleMultiport(c),
      valid: (k, c) => {
        if (pty === undefined) throw new Error("/dev/ptmx could not be opened: no terminal fd to test with")
        k.addConsolePortTty(c, 0, null, pty)
      },
      rejects: [
        ["an fd that is not a terminal", (k, c) => k.addConsolePortTty(c, 0, "tty", devNull), "ENOTTY"],
        ["a negative fd", (k, c) => k.addConsolePortTty(c, 0, "tty", -1), "EINVAL"]
      ]
    },
    {
      fn: "krun_set_root_disk_remount",
      setup: (k, c) => k.addDisk(c, "vda", path("root.img"), false),
      valid: (k, c) => k.setRootDiskRemount(c, "/dev/vda", "ext4", null),
      rejects: [
        [
          "a remount over a virtiofs root",
          (k, c) => {
            k.setRoot(c, scratch)
            k.setRootDiskRemount(c, "/dev/vda", null, null)
          },
          "EINVAL"
        ]
      ]
    }
  ]

  const runCase = (setterCase: SetterCase, ctx: ContextId, call: Call): void => {
    setterCase.setup?.(krun, ctx)
    call(krun, ctx)
  }

  describe.each(setters)("$fn", (setterCase) => {
    it("accepts valid input on a fresh context", () => {
      const ctx = fresh()
      if (!krun.isAvailable(setterCase.fn)) {
        expect(SymbolNotAvailable.isInstance(thrown(() => runCase(setterCase, ctx, setterCase.valid)))).toBe(true)
        return
      }
      runCase(setterCase, ctx, setterCase.valid)
    })

    it.each(setterCase.rejects ?? [])("rejects %s", (_description, call, errno) => {
      if (!krun.isAvailable(setterCase.fn)) return
      const ctx = fresh()
      const error = krunError(() => runCase(setterCase, ctx, call))
      expect(error.errnoName).toBe(errno)
      expect(error.hint.length).toBeGreaterThan(0)
    })

    it("rejects an unknown context", () => {
      if (!krun.isAvailable(setterCase.fn)) return
      const ctx = unknownContext()
      const error = krunError(() => setterCase.valid(krun, ctx))
      expect(error.errnoName).toBe("ENOENT")
    })
  })

  describe("functions that answer for the whole build", () => {
    it("krun_set_mapped_volumes is no longer supported: EINVAL for any input", () => {
      const ctx = fresh()
      expect(krunError(() => krun.setMappedVolumes(ctx, ["/a:/b"])).errnoName).toBe("EINVAL")
      expect(krunError(() => krun.setMappedVolumes(ctx, [])).hint).toMatch(/no longer supported/)
    })

    it("krun_set_root_disk_remount needs a block device first: EINVAL", () => {
      const ctx = fresh()
      expect(krunError(() => krun.setRootDiskRemount(ctx, "/dev/vda", null, null)).errnoName).toBe("EINVAL")
    })

    it("krun_get_shutdown_eventfd exists only on macOS arm64: EINVAL elsewhere, ENOENT for an unknown context", () => {
      const ctx = fresh()
      if (process.platform === "darwin" && process.arch === "arm64") {
        expect(krun.getShutdownEventfd(ctx)).toBeGreaterThanOrEqual(0)
      } else {
        expect(krunError(() => krun.getShutdownEventfd(ctx)).errnoName).toBe("EINVAL")
      }
      expect(krunError(() => krun.getShutdownEventfd(unknownContext())).errnoName).toBe("ENOENT")
    })

    const gpuCalls: ReadonlyArray<readonly [LibkrunFunctionName, Call]> = [
      ["krun_add_display", (k, c) => k.addDisplay(c, 1280, 800)],
      ["krun_display_set_edid", (k, c) => k.displaySetEdid(c, 0, new Uint8Array(128))],
      ["krun_display_set_dpi", (k, c) => k.displaySetDpi(c, 0, 96)],
      ["krun_display_set_physical_size", (k, c) => k.displaySetPhysicalSize(c, 0, 300, 200)],
      ["krun_display_set_refresh_rate", (k, c) => k.displaySetRefreshRate(c, 0, 60)],
      ["krun_set_display_backend", (k, c) => k.setDisplayBackend(c, new Uint8Array(8))]
    ]

    it.each(gpuCalls)("%s: ENOTSUP without the gpu feature, else bound to a real display", (fn, call) => {
      const ctx = fresh()
      if (!has("Gpu")) {
        expect(krunError(() => call(krun, ctx)).errnoName).toBe("ENOTSUP")
        return
      }
      if (fn === "krun_add_display") {
        expect(krun.addDisplay(ctx, 1280, 800)).toBe(0)
      } else if (fn === "krun_set_display_backend") {
        expect(krunError(() => call(krun, ctx)).errnoName).toBe("EINVAL")
      } else {
        krun.addDisplay(ctx, 1280, 800)
        call(krun, ctx)
      }
    })

    it.each([
      ["krun_add_input_device", (k: LibkrunLibrary, c: ContextId) => k.addInputDevice(c, new Uint8Array(8), new Uint8Array(8))],
      ["krun_add_input_device_fd", (k: LibkrunLibrary, c: ContextId) => k.addInputDeviceFd(c, -1)]
    ] as const)("%s: ENOTSUP without the input feature, EINVAL for bogus input with it", (_fn, call) => {
      const ctx = fresh()
      expect(krunError(() => call(krun, ctx)).errnoName).toBe(has("Input") ? "EINVAL" : "ENOTSUP")
    })
  })

  describe("marshalling against libkrun", () => {
    it("refuses values C would silently misread, before calling libkrun", () => {
      const ctx = fresh()
      const cases: ReadonlyArray<readonly [() => unknown, string]> = [
        [() => krun.setVmConfig(ctx, 256, 512), "num_vcpus"],
        [() => krun.setVmConfig(ctx, 1, -1), "ram_mib"],
        [() => krun.setVmConfig(ctx, 1.5, 512), "num_vcpus"],
        [() => krun.setRoot(ctx, "/tmp\0/etc"), "root_path"],
        [() => krun.setRoot(ctx, "/tmp/\uD800"), "root_path"],
        [() => krun.setExec(ctx, "/bin/sh", ["-c", Uint8Array.of(0x61, 0, 0x62)], []), "argv[1]"],
        [() => krun.setNetMac(ctx, mac.subarray(0, 5)), "c_mac"],
        [() => krun.addVirtiofs2(ctx, "t", scratch, 2n ** 64n), "shm_size"],
        [() => krun.displaySetPhysicalSize(ctx, 0, 70_000, 1), "width_mm"],
        [() => krun.setPortMap(ctx, Array.from({ length: KRUN_MAX_ARRAY_ENTRIES + 1 }, (_, i) => `${i}:${i}`)), "port_map"]
      ]
      for (const [call, argument] of cases) {
        const error = thrown(call)
        expect(InvalidArgument.isInstance(error), argument).toBe(true)
        expect((error as InvalidArgument).argument).toBe(argument)
      }
      krun.setVmConfig(ctx, 1, 512) // the context is untouched and still usable
    })

    it("delivers NULL-terminated arrays: libkrun reads every entry up to the terminator, and none after", () => {
      const ctx = fresh()
      const entries = Array.from({ length: KRUN_MAX_ARRAY_ENTRIES }, (_, i) => `${10_000 + i}:${20_000 + i}`)
      krun.setPortMap(ctx, entries)
      // A duplicate in the last slot is only visible if libkrun read all 4096 entries.
      const withDuplicateLast = [...entries.slice(0, -1), entries[0] ?? ""]
      expect(krunError(() => krun.setPortMap(ctx, withDuplicateLast)).errnoName).toBe("EINVAL")
      // An empty array is a valid, empty port map ("expose nothing"), not garbage.
      krun.setPortMap(ctx, [])
    })

    it("keeps the port map's null ('every port') distinct from [] ('none') without handing libkrun NULL", () => {
      const untouched = fresh()
      krun.setPortMap(untouched, null) // the default: nothing to send
      const mapped = fresh()
      krun.setPortMap(mapped, [])
      const error = thrown(() => krun.setPortMap(mapped, null))
      expect(InvalidArgument.isInstance(error)).toBe(true)
      expect((error as InvalidArgument).hint).toMatch(/crashes on NULL/)
    })

    it("hands overlay file bytes to libkrun as a stable copy, released with the context", () => {
      const ctx = krun.createCtx()
      krun.setRoot(ctx, scratch)
      const bytes = new Uint8Array(64 * 1024).fill(0x5a)
      krun.fsAddOverlayFile(ctx, KRUN_FS_ROOT_TAG, "big", bytes, 0o100644, false)
      bytes.fill(0) // libkrun holds its own copy's address, not this buffer's
      krun.freeCtx(ctx)
      expect(krunError(() => krun.freeCtx(ctx)).errnoName).toBe("ENOENT")
    })
  })

  it("covers every context-taking setter in the table-driven cases", () => {
    const covered = new Set<LibkrunFunctionName>(setters.map((c) => c.fn))
    const elsewhere: ReadonlyArray<LibkrunFunctionName> = [
      "krun_set_log_level",
      "krun_init_log",
      "krun_create_ctx",
      "krun_free_ctx",
      "krun_set_mapped_volumes",
      "krun_add_display",
      "krun_display_set_edid",
      "krun_display_set_dpi",
      "krun_display_set_physical_size",
      "krun_display_set_refresh_rate",
      "krun_set_display_backend",
      "krun_add_input_device",
      "krun_add_input_device_fd",
      "krun_set_tee_config_file",
      "krun_get_shutdown_eventfd",
      "krun_check_nested_virt",
      "krun_has_feature",
      "krun_get_max_vcpus",
      "krun_get_default_init",
      "krun_start_enter"
    ]
    for (const fn of elsewhere) covered.add(fn)
    expect(LIBKRUN_FUNCTION_NAMES.filter((fn) => !covered.has(fn))).toEqual([])
  })
})
