/**
 * The one table of libkrun declarations: the 67 functions of libkrun 1.19.0's `libkrun.h`, with
 * the method that binds each, the release whose header first declared it and the build features
 * or platforms it needs. libkrunfw's two functions follow.
 *
 * @since 0.1.0
 */
import type { KrunFeatureName } from "./Constants.js"

/**
 * When a libkrun build exports a function: all of `features` enabled, none of `absentFeatures`,
 * and the host among `platforms`. Derived from the `#[cfg(...)]` gates of libkrun 1.19.0's
 * `src/lib.rs`. Functions without a requirement are exported by every build; some of those
 * return `-ENOTSUP` at run time when their feature is off (gpu, input, display).
 *
 * @since 0.1.0
 * @category models
 */
export interface SymbolRequirement {
  readonly features?: ReadonlyArray<KrunFeatureName>
  readonly absentFeatures?: ReadonlyArray<KrunFeatureName>
  readonly platforms?: ReadonlyArray<NodeJS.Platform>
}

/**
 * One declared C function.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionDeclaration<Method extends string = string> {
  /** The prototype as `libkrun.h` 1.19.0 writes it. */
  readonly prototype: string
  /** The `LibkrunLibrary` method that calls it. */
  readonly method: Method
  /** The first libkrun release whose `libkrun.h` declares it. */
  readonly since: string
  readonly requires?: SymbolRequirement
}

const withoutTee: SymbolRequirement = { absentFeatures: ["Tee"] }
const virtiofsBuilds: SymbolRequirement = { absentFeatures: ["Tee", "AwsNitro"] }
const blk: SymbolRequirement = { features: ["Blk"] }
const net: SymbolRequirement = { features: ["Net"] }

const declarations = {
  krun_set_log_level: {
    prototype: "int32_t krun_set_log_level(uint32_t level)",
    method: "setLogLevel",
    since: "1.0.0"
  },
  krun_init_log: {
    prototype: "int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options)",
    method: "initLog",
    since: "1.13.0"
  },
  krun_create_ctx: {
    prototype: "int32_t krun_create_ctx()",
    method: "createCtx",
    since: "1.0.0"
  },
  krun_free_ctx: {
    prototype: "int32_t krun_free_ctx(uint32_t ctx_id)",
    method: "freeCtx",
    since: "1.0.0"
  },
  krun_set_vm_config: {
    prototype: "int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)",
    method: "setVmConfig",
    since: "1.0.0"
  },
  krun_set_root: {
    prototype: "int32_t krun_set_root(uint32_t ctx_id, const char *root_path)",
    method: "setRoot",
    since: "1.0.0",
    requires: virtiofsBuilds
  },
  krun_set_root_disk: {
    prototype: "int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path)",
    method: "setRootDisk",
    since: "1.0.0",
    requires: blk
  },
  krun_set_data_disk: {
    prototype: "int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)",
    method: "setDataDisk",
    since: "1.5.0",
    requires: blk
  },
  krun_add_disk: {
    prototype:
      "int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path, bool read_only)",
    method: "addDisk",
    since: "1.9.5",
    requires: blk
  },
  krun_add_disk2: {
    prototype:
      "int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path, uint32_t disk_format, bool read_only)",
    method: "addDisk2",
    since: "1.10.0",
    requires: blk
  },
  krun_add_disk3: {
    prototype:
      "int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path, uint32_t disk_format, bool read_only, bool direct_io, uint32_t sync_mode)",
    method: "addDisk3",
    since: "1.17.0",
    requires: blk
  },
  krun_set_mapped_volumes: {
    prototype: "int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[])",
    method: "setMappedVolumes",
    since: "1.0.0",
    requires: withoutTee
  },
  krun_add_virtiofs: {
    prototype: "int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)",
    method: "addVirtiofs",
    since: "1.8.0",
    requires: virtiofsBuilds
  },
  krun_add_virtiofs2: {
    prototype:
      "int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path, uint64_t shm_size)",
    method: "addVirtiofs2",
    since: "1.9.5",
    requires: virtiofsBuilds
  },
  krun_add_virtiofs3: {
    prototype:
      "int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path, uint64_t shm_size, bool read_only)",
    method: "addVirtiofs3",
    since: "1.18.0",
    requires: virtiofsBuilds
  },
  krun_add_net_unixstream: {
    prototype:
      "int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd, uint8_t *const c_mac, uint32_t features, uint32_t flags)",
    method: "addNetUnixstream",
    since: "1.15.0",
    requires: net
  },
  krun_add_net_unixgram: {
    prototype:
      "int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd, uint8_t *const c_mac, uint32_t features, uint32_t flags)",
    method: "addNetUnixgram",
    since: "1.15.0",
    requires: net
  },
  krun_add_net_tap: {
    prototype:
      "int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac, uint32_t features, uint32_t flags)",
    method: "addNetTap",
    since: "1.15.0",
    requires: net
  },
  krun_set_passt_fd: {
    prototype: "int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)",
    method: "setPasstFd",
    since: "1.7.0",
    requires: net
  },
  krun_set_gvproxy_path: {
    prototype: "int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)",
    method: "setGvproxyPath",
    since: "1.8.0",
    requires: net
  },
  krun_set_net_mac: {
    prototype: "int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)",
    method: "setNetMac",
    since: "1.8.0",
    requires: net
  },
  krun_set_port_map: {
    prototype: "int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[])",
    method: "setPortMap",
    since: "1.0.0"
  },
  krun_set_gpu_options: {
    prototype: "int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags)",
    method: "setGpuOptions",
    since: "1.8.0"
  },
  krun_set_gpu_options2: {
    prototype: "int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size)",
    method: "setGpuOptions2",
    since: "1.9.5"
  },
  krun_add_display: {
    prototype: "int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height)",
    method: "addDisplay",
    since: "1.15.0"
  },
  krun_display_set_edid: {
    prototype:
      "int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id, const uint8_t *edid_blob, size_t blob_size)",
    method: "displaySetEdid",
    since: "1.15.0"
  },
  krun_display_set_dpi: {
    prototype: "int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id, uint32_t dpi)",
    method: "displaySetDpi",
    since: "1.15.0"
  },
  krun_display_set_physical_size: {
    prototype:
      "int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id, uint16_t width_mm, uint16_t height_mm)",
    method: "displaySetPhysicalSize",
    since: "1.15.0"
  },
  krun_display_set_refresh_rate: {
    prototype:
      "int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id, uint32_t refresh_rate)",
    method: "displaySetRefreshRate",
    since: "1.15.0"
  },
  krun_set_display_backend: {
    prototype:
      "int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend, size_t backend_size)",
    method: "setDisplayBackend",
    since: "1.15.0"
  },
  krun_add_input_device: {
    prototype:
      "int krun_add_input_device(uint32_t ctx_id, const void *config_backend, size_t config_backend_size, const void *events_backend, size_t events_backend_size)",
    method: "addInputDevice",
    since: "1.16.0"
  },
  krun_add_input_device_fd: {
    prototype: "int krun_add_input_device_fd(uint32_t ctx_id, int input_fd)",
    method: "addInputDeviceFd",
    since: "1.16.0"
  },
  krun_set_snd_device: {
    prototype: "int32_t krun_set_snd_device(uint32_t ctx_id, bool enable)",
    method: "setSndDevice",
    since: "1.9.0"
  },
  krun_set_rlimits: {
    prototype: "int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[])",
    method: "setRlimits",
    since: "1.0.0"
  },
  krun_set_smbios_oem_strings: {
    prototype: "int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[])",
    method: "setSmbiosOemStrings",
    since: "1.9.1"
  },
  krun_set_workdir: {
    prototype: "int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)",
    method: "setWorkdir",
    since: "1.0.0"
  },
  krun_set_exec: {
    prototype:
      "int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char *const argv[], const char *const envp[])",
    method: "setExec",
    since: "1.0.0"
  },
  krun_set_firmware: {
    prototype: "int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path)",
    method: "setFirmware",
    since: "1.16.0",
    requires: withoutTee
  },
  krun_set_kernel: {
    prototype:
      "int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format, const char *initramfs, const char *cmdline)",
    method: "setKernel",
    since: "1.11.0"
  },
  krun_set_env: {
    prototype: "int32_t krun_set_env(uint32_t ctx_id, const char *const envp[])",
    method: "setEnv",
    since: "1.3.0"
  },
  krun_set_tee_config_file: {
    prototype: "int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath)",
    method: "setTeeConfigFile",
    since: "1.4.1",
    requires: { features: ["Tee"] }
  },
  krun_add_vsock_port: {
    prototype: "int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)",
    method: "addVsockPort",
    since: "1.8.0"
  },
  krun_add_vsock_port2: {
    prototype:
      "int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath, bool listen)",
    method: "addVsockPort2",
    since: "1.10.0"
  },
  krun_add_vsock: {
    prototype: "int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)",
    method: "addVsock",
    since: "1.17.0"
  },
  krun_get_shutdown_eventfd: {
    prototype: "int32_t krun_get_shutdown_eventfd(uint32_t ctx_id)",
    method: "getShutdownEventfd",
    since: "1.8.0"
  },
  krun_set_console_output: {
    prototype: "int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)",
    method: "setConsoleOutput",
    since: "1.8.0"
  },
  krun_setuid: {
    prototype: "int32_t krun_setuid(uint32_t ctx_id, uid_t uid)",
    method: "setuid",
    since: "1.11.0"
  },
  krun_setgid: {
    prototype: "int32_t krun_setgid(uint32_t ctx_id, gid_t gid)",
    method: "setgid",
    since: "1.11.0"
  },
  krun_set_nested_virt: {
    prototype: "int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled)",
    method: "setNestedVirt",
    since: "1.11.0"
  },
  krun_check_nested_virt: {
    prototype: "int32_t krun_check_nested_virt(void)",
    method: "checkNestedVirt",
    since: "1.12.0"
  },
  krun_has_feature: {
    prototype: "int32_t krun_has_feature(uint64_t feature)",
    method: "hasFeature",
    since: "1.17.3"
  },
  krun_get_max_vcpus: {
    prototype: "int32_t krun_get_max_vcpus(void)",
    method: "getMaxVcpus",
    since: "1.16.0",
    requires: { platforms: ["linux", "darwin"] }
  },
  krun_split_irqchip: {
    prototype: "int32_t krun_split_irqchip(uint32_t ctx_id, bool enable)",
    method: "splitIrqchip",
    since: "1.12.0"
  },
  krun_disable_implicit_console: {
    prototype: "int32_t krun_disable_implicit_console(uint32_t ctx_id)",
    method: "disableImplicitConsole",
    since: "1.16.0"
  },
  krun_disable_implicit_init: {
    prototype: "int32_t krun_disable_implicit_init(uint32_t ctx_id)",
    method: "disableImplicitInit",
    since: "1.19.0",
    requires: virtiofsBuilds
  },
  krun_get_default_init: {
    prototype: "int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out)",
    method: "getDefaultInit",
    since: "1.19.0",
    requires: virtiofsBuilds
  },
  krun_fs_add_overlay_file: {
    prototype:
      "int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag, const char *path, const uint8_t *data, size_t data_len, uint32_t mode, bool one_shot)",
    method: "fsAddOverlayFile",
    since: "1.19.0",
    requires: virtiofsBuilds
  },
  krun_fs_add_overlay_dir: {
    prototype:
      "int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag, const char *path, uint32_t mode)",
    method: "fsAddOverlayDir",
    since: "1.19.0",
    requires: virtiofsBuilds
  },
  krun_disable_implicit_vsock: {
    prototype: "int32_t krun_disable_implicit_vsock(uint32_t ctx_id)",
    method: "disableImplicitVsock",
    since: "1.17.0"
  },
  krun_set_kernel_console: {
    prototype: "int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id)",
    method: "setKernelConsole",
    since: "1.16.0"
  },
  krun_add_virtio_console_default: {
    prototype:
      "int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd, int err_fd)",
    method: "addVirtioConsoleDefault",
    since: "1.16.0"
  },
  krun_add_serial_console_default: {
    prototype: "int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd)",
    method: "addSerialConsoleDefault",
    since: "1.16.0"
  },
  krun_add_virtio_console_multiport: {
    prototype: "int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)",
    method: "addVirtioConsoleMultiport",
    since: "1.17.0"
  },
  krun_add_console_port_tty: {
    prototype:
      "int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id, const char *name, int tty_fd)",
    method: "addConsolePortTty",
    since: "1.17.0"
  },
  krun_add_console_port_inout: {
    prototype:
      "int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id, const char *name, int input_fd, int output_fd)",
    method: "addConsolePortInout",
    since: "1.17.0"
  },
  krun_set_root_disk_remount: {
    prototype:
      "int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device, const char *fstype, const char *options)",
    method: "setRootDiskRemount",
    since: "1.15.0",
    requires: { features: ["Blk"], absentFeatures: ["Tee", "AwsNitro"] }
  },
  krun_start_enter: {
    prototype: "int32_t krun_start_enter(uint32_t ctx_id)",
    method: "startEnter",
    since: "1.0.0"
  }
} as const satisfies Record<`krun_${string}`, FunctionDeclaration>

/**
 * The C name of one of libkrun's 67 functions.
 *
 * @since 0.1.0
 * @category models
 */
export type LibkrunFunctionName = keyof typeof declarations

/**
 * The `LibkrunLibrary` method that binds a libkrun function.
 *
 * @since 0.1.0
 * @category models
 */
export type LibkrunMethodName = (typeof declarations)[LibkrunFunctionName]["method"]

/**
 * Every function of libkrun 1.19.0's `libkrun.h`, keyed by its C name.
 *
 * @since 0.1.0
 * @category declarations
 */
export const LIBKRUN_FUNCTIONS: {
  readonly [Name in LibkrunFunctionName]: FunctionDeclaration<(typeof declarations)[Name]["method"]>
} = declarations

/**
 * The two libkrunfw functions the bindings expose (libkrunfw's TEE variants also export
 * `krunfw_get_initrd` / `krunfw_get_qboot`, which only libkrun itself needs).
 *
 * @since 0.1.0
 * @category declarations
 */
export const LIBKRUNFW_FUNCTIONS = {
  krunfw_get_version: {
    prototype: "int krunfw_get_version()",
    method: "getVersion"
  },
  krunfw_get_kernel: {
    prototype: "char *krunfw_get_kernel(size_t *load_addr, size_t *entry_addr, size_t *size)",
    method: "getKernel"
  }
} as const satisfies Record<`krunfw_${string}`, Pick<FunctionDeclaration, "prototype" | "method">>

/**
 * The C name of a bound libkrunfw function.
 *
 * @since 0.1.0
 * @category models
 */
export type LibkrunfwFunctionName = keyof typeof LIBKRUNFW_FUNCTIONS

/**
 * The C names of all 67 libkrun functions.
 *
 * @since 0.1.0
 * @category declarations
 */
export const LIBKRUN_FUNCTION_NAMES: ReadonlyArray<LibkrunFunctionName> = Object.keys(
  LIBKRUN_FUNCTIONS
) as Array<LibkrunFunctionName>
