/**
 * Every constant that libkrun 1.19.0's `libkrun.h` defines, grouped into typed objects.
 *
 * The key of each entry is the C macro's suffix in PascalCase; the JSDoc of each object names the
 * C prefix, so `KrunDiskFormat.Qcow2` is `KRUN_DISK_FORMAT_QCOW2`.
 *
 * @since 0.1.0
 */

/**
 * `KRUN_LOG_TARGET_*`: the `target_fd` of `krun_init_log`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunLogTarget = {
  /** `KRUN_LOG_TARGET_DEFAULT`: libkrun's default target (stderr). */
  Default: -1
} as const

/**
 * `KRUN_LOG_LEVEL_*`: verbosity for `krun_set_log_level` and `krun_init_log`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunLogLevel = {
  Off: 0,
  Error: 1,
  Warn: 2,
  Info: 3,
  Debug: 4,
  Trace: 5
} as const

/**
 * A `KRUN_LOG_LEVEL_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunLogLevelValue = (typeof KrunLogLevel)[keyof typeof KrunLogLevel]

/**
 * `KRUN_LOG_STYLE_*`: whether `krun_init_log` writes terminal colour escapes.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunLogStyle = {
  Auto: 0,
  Always: 1,
  Never: 2
} as const

/**
 * A `KRUN_LOG_STYLE_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunLogStyleValue = (typeof KrunLogStyle)[keyof typeof KrunLogStyle]

/**
 * `KRUN_LOG_OPTION_*`: the `options` bitmask of `krun_init_log` (0 for the defaults).
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunLogOption = {
  /** `KRUN_LOG_OPTION_NO_ENV`: ignore `RUST_LOG`-style environment overrides. */
  NoEnv: 1
} as const

/**
 * `KRUN_DISK_FORMAT_*`: image formats for `krun_add_disk2` / `krun_add_disk3`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunDiskFormat = {
  Raw: 0,
  Qcow2: 1,
  /** Only FLAT/ZERO VMDK images without delta links. */
  Vmdk: 2
} as const

/**
 * A `KRUN_DISK_FORMAT_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunDiskFormatValue = (typeof KrunDiskFormat)[keyof typeof KrunDiskFormat]

/**
 * `KRUN_SYNC_*`: how `krun_add_disk3` honours `VIRTIO_BLK_F_FLUSH`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunSyncMode = {
  /** `KRUN_SYNC_NONE`: ignore flushes (may lose data). */
  None: 0,
  /** `KRUN_SYNC_RELAXED`: flush OS buffers only on macOS; same as full on Linux. */
  Relaxed: 1,
  /** `KRUN_SYNC_FULL`: flush to the physical disk. */
  Full: 2
} as const

/**
 * A `KRUN_SYNC_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunSyncModeValue = (typeof KrunSyncMode)[keyof typeof KrunSyncMode]

/**
 * `KRUN_KERNEL_FORMAT_*`: the `kernel_format` of `krun_set_kernel`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunKernelFormat = {
  Raw: 0,
  Elf: 1,
  PeGz: 2,
  ImageBz2: 3,
  ImageGz: 4,
  ImageZstd: 5
} as const

/**
 * A `KRUN_KERNEL_FORMAT_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunKernelFormatValue = (typeof KrunKernelFormat)[keyof typeof KrunKernelFormat]

/**
 * `NET_FEATURE_*`: virtio-net feature bits for `krun_add_net_*` (from `uapi/linux/virtio_net.h`).
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunNetFeature = {
  Csum: 1 << 0,
  GuestCsum: 1 << 1,
  GuestTso4: 1 << 7,
  GuestTso6: 1 << 8,
  GuestUfo: 1 << 10,
  HostTso4: 1 << 11,
  HostTso6: 1 << 12,
  HostUfo: 1 << 14
} as const

/**
 * `COMPAT_NET_FEATURES`: the features `krun_set_passt_fd` and `krun_set_gvproxy_path` enable.
 *
 * @since 0.1.0
 * @category constants
 */
export const KRUN_COMPAT_NET_FEATURES: number =
  KrunNetFeature.Csum |
  KrunNetFeature.GuestCsum |
  KrunNetFeature.GuestTso4 |
  KrunNetFeature.GuestUfo |
  KrunNetFeature.HostTso4 |
  KrunNetFeature.HostUfo

/**
 * `NET_FLAG_*`: generic flags for `krun_add_net_*`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunNetFlag = {
  /** `NET_FLAG_VFKIT`: send the vfkit magic after connecting (gvproxy in vfkit mode, unixgram only). */
  Vfkit: 1 << 0,
  /** `NET_FLAG_DHCP_CLIENT`: run a DHCP client in the guest. */
  DhcpClient: 1 << 1
} as const

/**
 * `KRUN_TSI_HIJACK_*`: Transparent Socket Impersonation features for `krun_add_vsock`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunTsiHijack = {
  Inet: 1 << 0,
  Unix: 1 << 1
} as const

/**
 * `KRUN_FEATURE_*`: build-time features that `krun_has_feature` reports.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunFeature = {
  Net: 0,
  Blk: 1,
  Gpu: 2,
  Snd: 3,
  Input: 4,
  Efi: 5,
  Tee: 6,
  AmdSev: 7,
  IntelTdx: 8,
  AwsNitro: 9,
  VirglResourceMap2: 10,
  InitBlob: 11
} as const

/**
 * A `KRUN_FEATURE_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type KrunFeatureId = (typeof KrunFeature)[keyof typeof KrunFeature]

/**
 * The name of a `KrunFeature` key (`"Net"`, `"Blk"`, ...).
 *
 * @since 0.1.0
 * @category models
 */
export type KrunFeatureName = keyof typeof KrunFeature

/**
 * The cargo feature of libkrun behind each `KRUN_FEATURE_*` id, as `--features` spells it.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunFeatureCargoName: { readonly [K in KrunFeatureName]: string } = {
  Net: "net",
  Blk: "blk",
  Gpu: "gpu",
  Snd: "snd",
  Input: "input",
  Efi: "efi",
  Tee: "tee",
  AmdSev: "amd-sev",
  IntelTdx: "tdx",
  AwsNitro: "aws-nitro",
  VirglResourceMap2: "virgl_resource_map2",
  InitBlob: "init-blob"
}

/**
 * `VIRGLRENDERER_*`: flags for `krun_set_gpu_options` / `krun_set_gpu_options2`.
 *
 * @since 0.1.0
 * @category constants
 */
export const KrunVirglFlag = {
  UseEgl: 1 << 0,
  ThreadSync: 1 << 1,
  UseGlx: 1 << 2,
  UseSurfaceless: 1 << 3,
  UseGles: 1 << 4,
  UseExternalBlob: 1 << 5,
  Venus: 1 << 6,
  NoVirgl: 1 << 7,
  UseAsyncFenceCb: 1 << 8,
  RenderServer: 1 << 9,
  Drm: 1 << 10
} as const

/**
 * `KRUN_FS_ROOT_TAG`: the virtiofs tag of the root filesystem (usable with `krun_add_virtiofs*`).
 *
 * @since 0.1.0
 * @category constants
 */
export const KRUN_FS_ROOT_TAG = "/dev/root"

/**
 * `KRUN_MAX_DISPLAYS`: how many displays `krun_add_display` accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const KRUN_MAX_DISPLAYS = 16

/**
 * The libkrunfw ABI (`krunfw_get_version()`, the SONAME's major) that libkrun 1.19 loads.
 *
 * @since 0.1.0
 * @category constants
 */
export const KRUNFW_ABI_VERSION = 5

/**
 * The most entries libkrun 1.19 reads from a NULL-terminated string array (`MAX_ARGS`); it
 * silently ignores the rest, so the bindings refuse longer arrays.
 *
 * @since 0.1.0
 * @category constants
 */
export const KRUN_MAX_ARRAY_ENTRIES = 4096
