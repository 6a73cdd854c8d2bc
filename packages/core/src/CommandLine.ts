/**
 * How much of the guest kernel command line a configuration uses.
 *
 * libkrun 1.19.0 (x86-64) puts the workload's exec path, workdir, rlimits,
 * env (`"KEY=VALUE"`) and args (`"arg"`, after `--`) on the guest kernel's
 * command line, after its own fixed entries and one
 * `virtio_mmio.device=4K@0xd0000000:5` entry per virtio device. The guest
 * kernel (Linux 6.12 in libkrunfw 5) keeps only `COMMAND_LINE_SIZE` - 1 =
 * 2047 bytes of it (x86 `COMMAND_LINE_SIZE` is 2048) and silently drops the
 * rest; libkrun's own buffer is 64 KiB, so the kernel is the binding limit.
 * The kernel also hands init at most `CONFIG_INIT_ENV_ARG_LIMIT` = 32
 * environment variables (it sets `HOME` and `TERM` itself) and 32 arguments
 * (`init` and the unknown parameter `nomodule` come first). See the README
 * for the sources.
 *
 * @since 0.1.0
 */
import type { EnvPair } from "./EnvPair.js"
import type { NetworkScope } from "./NetworkScope.js"
import type { LinuxRlimit } from "./Rlimit.js"
import { toLibkrun } from "./Rlimit.js"

/**
 * Bytes of command line the guest kernel keeps: x86 `COMMAND_LINE_SIZE`
 * (2048) minus the terminating NUL.
 *
 * @since 0.1.0
 * @category constants
 */
export const KERNEL_COMMAND_LINE_MAX = 2047

/**
 * `CONFIG_INIT_ENV_ARG_LIMIT` in libkrunfw's kernel config: the most
 * environment variables, and the most arguments, the kernel gives init.
 *
 * @since 0.1.0
 * @category constants
 */
export const INIT_ENV_ARG_LIMIT = 32

/**
 * libkrun's fixed start of the command line (`DEFAULT_KERNEL_CMDLINE` plus
 * `init=/init.krun`).
 *
 * @since 0.1.0
 * @category constants
 */
export const LIBKRUN_PROLOG =
  "reboot=k panic=-1 panic_print=0 nomodule console=hvc0 rootfstype=virtiofs rw quiet no-kvmapf init=/init.krun"

/**
 * Virtio devices libkrun always attaches on x86-64 besides the mapped
 * directories: balloon, rng, console, root virtio-fs, vsock.
 *
 * @since 0.1.0
 * @category constants
 */
export const BASE_DEVICE_COUNT = 5

/**
 * MMIO device interrupts libkrun has on x86-64 (IRQ 5..15).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_DEVICE_COUNT = 11

/**
 * The most mapped directories libkrun can attach on x86-64.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_MAPPED_DIRS = MAX_DEVICE_COUNT - BASE_DEVICE_COUNT

/**
 * Environment variables the kernel sets itself before any from the command
 * line.
 *
 * @since 0.1.0
 * @category constants
 */
export const KERNEL_ENV_KEYS: ReadonlyArray<string> = ["HOME", "TERM"]

/**
 * Arguments init receives before the workload's: `init` (argv[0]) and
 * `nomodule` (a libkrun parameter the kernel does not know, so passes on).
 *
 * @since 0.1.0
 * @category constants
 */
export const KERNEL_INIT_ARGS: ReadonlyArray<string> = ["init", "nomodule"]

/**
 * What the command line depends on.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly execPath: string
  readonly workdirPath: string | undefined
  readonly rlimits: ReadonlyArray<LinuxRlimit>
  readonly env: ReadonlyArray<EnvPair>
  readonly args: ReadonlyArray<string>
  readonly mappedDirCount: number
  readonly scope: NetworkScope
}

/**
 * Room an engine keeps for entries of its own.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reserve {
  /** Extra command-line bytes the engine adds (default 0). */
  readonly bytes?: number | undefined
  /** Extra environment variables the engine adds (default 0). */
  readonly envEntries?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  /** Bytes from the configuration's own strings. */
  readonly size: number
  /** Bytes left for them after libkrun's fixed entries. */
  readonly budget: number
  /** The whole estimated command line, in bytes. */
  readonly total: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Measurement {
  readonly bytes: Usage
  readonly envEntries: { readonly size: number; readonly budget: number }
  readonly initArgs: { readonly size: number; readonly budget: number }
}

const MMIO_BASE = 0xd000_0000
const IRQ_BASE = 5

const deviceEntry = (index: number): string =>
  `virtio_mmio.device=4K@0x${(MMIO_BASE + index * 0x1000).toString(16).padStart(8, "0")}:${IRQ_BASE + index}`

const quoted = (items: ReadonlyArray<string>): string => items.map((item) => `"${item}"`).join(" ")

/**
 * The command line libkrun 1.19.0 builds on x86-64 for this input (the
 * engine's TSI flags included when the scope is not `none`).
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (input: Input): string => {
  const exec = `KRUN_INIT=${input.execPath}`
  const workdir = input.workdirPath === undefined ? "" : `KRUN_WORKDIR=${input.workdirPath}`
  const rlimits = input.rlimits.length === 0 ? "" : `KRUN_RLIMITS="${input.rlimits.map(toLibkrun).join(",")}"`
  const env = quoted(input.env.map((pair) => `${pair.key}=${pair.value}`))
  const parts = [LIBKRUN_PROLOG, ` ${exec} ${workdir}  ${rlimits} ${env}`]
  const devices = BASE_DEVICE_COUNT + input.mappedDirCount
  for (let index = 0; index < devices; index++) parts.push(deviceEntry(index))
  if (input.scope !== "none") parts.push("tsi_hijack", "tsi_hijack_unix")
  parts.push(` -- ${quoted(input.args)}`)
  return parts.join(" ")
}

/**
 * Measures the input against the guest kernel's limits, keeping `reserve`
 * for the engine's own entries.
 *
 * @since 0.1.0
 * @category measuring
 */
export const measure = (input: Input, reserve: Reserve = {}): Measurement => {
  const total = render(input).length
  const fixed = render({ ...input, execPath: "", workdirPath: undefined, rlimits: [], env: [], args: [] }).length
  const reservedBytes = reserve.bytes ?? 0
  const fixedEnv = new Set([...KERNEL_ENV_KEYS, "KRUN_INIT"])
  if (input.workdirPath !== undefined) fixedEnv.add("KRUN_WORKDIR")
  if (input.rlimits.length > 0) fixedEnv.add("KRUN_RLIMITS")
  // The kernel replaces a variable of the same name instead of adding one.
  const userKeys = new Set(input.env.map((pair) => pair.key).filter((key) => !fixedEnv.has(key)))
  return {
    bytes: { size: total - fixed, budget: KERNEL_COMMAND_LINE_MAX - fixed - reservedBytes, total: total + reservedBytes },
    envEntries: { size: userKeys.size, budget: INIT_ENV_ARG_LIMIT - fixedEnv.size - (reserve.envEntries ?? 0) },
    initArgs: { size: input.args.length, budget: INIT_ENV_ARG_LIMIT - KERNEL_INIT_ARGS.length }
  }
}
