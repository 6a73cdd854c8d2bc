/**
 * The one return-code module: libkrun returns `>= 0` on success (a value for some functions) and
 * `-errno` on failure. A failure becomes a `KrunError` with the errno's name, its text and a hint
 * drawn from what libkrun 1.19.0's source does for that function.
 */
import { KrunError } from "../errors/KrunError.js"
import type { LibkrunFunctionName } from "../Functions.js"
import { errnoMessage, errnoName } from "./errno.js"
import { summarize } from "./convert.js"

type Hints = Partial<Record<LibkrunFunctionName, Partial<Record<string, string>>>>

const specificHints: Hints = {
  krun_set_vm_config: {
    EINVAL: "num_vcpus must be at least 1 and ram_mib a size libkrun can map."
  },
  krun_set_port_map: {
    EINVAL:
      'Each entry must be "host_port:guest_port" with ports 0..65535, every guest port and every host port at ' +
      "most once; and the port map only applies to TSI networking, so it is refused after a virtio-net device " +
      "(krun_add_net_*) was added.",
    ENODEV: "The implicit vsock device was disabled (krun_disable_implicit_vsock) and TSI needs it: add one with krun_add_vsock.",
    ENOTSUP: "Port mapping is not available with passt networking; use passt's own options."
  },
  krun_add_vsock_port: {
    ENODEV: "The implicit vsock device was disabled (krun_disable_implicit_vsock): add one with krun_add_vsock first."
  },
  krun_add_vsock_port2: {
    ENODEV: "The implicit vsock device was disabled (krun_disable_implicit_vsock): add one with krun_add_vsock first.",
    EEXIST: "With listen = true libkrun creates the socket itself: remove the existing file first."
  },
  krun_add_vsock: {
    EEXIST: "A vsock device already exists: call krun_disable_implicit_vsock before krun_add_vsock, and only once.",
    EINVAL: "tsi_features accepts only KrunTsiHijack bits (UNIX hijacking is not supported on macOS)."
  },
  krun_set_console_output: {
    EINVAL: "The console output can be set once per context (or the path is not valid UTF-8)."
  },
  krun_set_passt_fd: {
    EINVAL: "fd must be >= 0, and the legacy passt/gvproxy setters cannot follow krun_add_net_*."
  },
  krun_set_gvproxy_path: {
    EINVAL: "The legacy passt/gvproxy setters cannot follow krun_add_net_* (or the path is not valid UTF-8)."
  },
  krun_add_net_unixstream: {
    EINVAL:
      "Give exactly one of c_path (fd = -1) or fd (c_path = null); features only KrunNetFeature bits; flags only " +
      "KrunNetFlag.DhcpClient."
  },
  krun_add_net_unixgram: {
    EINVAL:
      "Give exactly one of c_path (fd = -1) or fd (c_path = null); features only KrunNetFeature bits; flags only " +
      "KrunNetFlag bits."
  },
  krun_add_net_tap: {
    EINVAL:
      "features only KrunNetFeature bits (GUEST_TSO4/TSO6/UFO need GUEST_CSUM); flags only KrunNetFlag.DhcpClient; " +
      "tap networking exists on Linux only."
  },
  krun_set_mapped_volumes: {
    EINVAL: "krun_set_mapped_volumes is no longer supported by libkrun: share directories with krun_add_virtiofs."
  },
  krun_get_shutdown_eventfd: {
    EINVAL: "libkrun 1.19 creates a shutdown eventfd on macOS/arm64 only: stop a VM on Linux by signalling its process."
  },
  krun_add_disk2: { EINVAL: "disk_format must be a KrunDiskFormat value (or a path is not valid UTF-8)." },
  krun_add_disk3: {
    EINVAL: "disk_format must be a KrunDiskFormat value and sync_mode a KrunSyncMode value (or a path is not valid UTF-8)."
  },
  krun_set_kernel: {
    EINVAL:
      "kernel_format must be a KrunKernelFormat value, the kernel (raw format) and the initramfs must exist, and " +
      "strings must be valid UTF-8.",
    ENOTSUP: "External kernels are not supported by TEE builds of libkrun."
  },
  krun_set_root_disk_remount: {
    EINVAL: "Add the block device first (krun_add_disk*) and do not also set a virtiofs root (krun_set_root)."
  },
  krun_fs_add_overlay_file: {
    ENOENT: "The context, the fs_tag's virtiofs device or a parent directory in path does not exist (add directories with krun_fs_add_overlay_dir first).",
    ENOTDIR: "A parent component of path is a file, not a directory.",
    EINVAL: "path must be non-empty, without empty components, and strings valid UTF-8."
  },
  krun_fs_add_overlay_dir: {
    ENOENT: "The context, the fs_tag's virtiofs device or a parent directory in path does not exist.",
    ENOTDIR: "A parent component of path is a file, not a directory.",
    EINVAL: "path must be non-empty, without empty components, and strings valid UTF-8."
  },
  krun_add_console_port_tty: {
    ENOTTY: "tty_fd must refer to a terminal.",
    EINVAL: "console_id must come from krun_add_virtio_console_multiport and tty_fd be >= 0."
  },
  krun_add_console_port_inout: {
    EINVAL: "console_id must come from krun_add_virtio_console_multiport (or name is not valid UTF-8)."
  },
  krun_add_display: { ENOMEM: "At most KRUN_MAX_DISPLAYS (16) displays per context." },
  krun_display_set_dpi: { EINVAL: "display_id must come from krun_add_display, and no custom EDID may be set." },
  krun_display_set_refresh_rate: { EALREADY: "A custom EDID was set for this display; it overrides the refresh rate." },
  krun_display_set_physical_size: { EALREADY: "A custom EDID was set for this display; it overrides the physical size." },
  krun_split_irqchip: { EINVAL: "A split IRQCHIP exists on x86_64 only." },
  krun_has_feature: {
    EINVAL: "Unknown feature id: use a KrunFeature value (this libkrun may predate the feature)."
  },
  krun_get_max_vcpus: { EINVAL: "The hypervisor could not be opened (check /dev/kvm access on Linux)." },
  krun_init_log: {
    EINVAL: "target_fd must be KrunLogTarget.Default (-1), 1, 2 or a file descriptor >= 3 (0 and < -1 are refused)."
  },
  krun_start_enter: {
    ENOENT:
      "Either the context is unknown (freed, or already consumed by an earlier krun_start_enter) or libkrun could not " +
      "dlopen libkrunfw.so.5: load libkrunfw before the first krun_create_ctx (Libkrun.load does this).",
    EINVAL: "libkrun rejected the configuration while building the VM (see its log on stderr)."
  }
}

const genericHints: Partial<Record<string, string>> = {
  ENOENT: "The context id is unknown to libkrun: it was never created, already freed, or consumed by krun_start_enter.",
  EINVAL:
    "libkrun rejected an argument: a string that is not valid UTF-8 or is malformed for this call, a value out of " +
    "range, or a call that conflicts with earlier configuration of this context.",
  ENOTSUP: "The loaded libkrun was built without the feature behind this call: check hasFeature().",
  EOPNOTSUPP: "The loaded libkrun was built without the feature behind this call: check hasFeature().",
  ENODEV: "A device this call needs was disabled earlier on this context.",
  EEXIST: "The thing this call creates already exists.",
  ENOMEM: "libkrun reached an internal limit."
}

/** The hint libkrun's source suggests for this function and errno. */
export const hintFor = (fn: LibkrunFunctionName, name: string): string =>
  specificHints[fn]?.[name] ??
  genericHints[name] ??
  `libkrun returned ${name}; see the function's documentation in libkrun.h.`

/** `code` if it is a success (`>= 0`), else throws the `KrunError` it stands for. */
export const checkReturnCode = (
  fn: LibkrunFunctionName,
  code: unknown,
  args: ReadonlyArray<unknown>
): number => {
  if (typeof code !== "number" || !Number.isInteger(code)) {
    throw new KrunError({
      function: fn,
      returnCode: Number.NaN,
      errno: 0,
      errnoName: "EUNKNOWN",
      errnoMessage: `unexpected return value ${String(code)}`,
      arguments: args.map(summarize),
      hint: "koffi returned something other than an int32_t: the prototype does not match the library."
    })
  }
  if (code >= 0) return code
  const errno = -code
  const name = errnoName(errno)
  throw new KrunError({
    function: fn,
    returnCode: code,
    errno,
    errnoName: name,
    errnoMessage: errnoMessage(errno),
    arguments: args.map(summarize),
    hint: hintFor(fn, name)
  })
}
