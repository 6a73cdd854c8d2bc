/**
 * Turns a validated config into the runner's request (pure; no I/O).
 */
import type { PathPair } from "@krunbox/core"
import { resolve } from "node:path"
import { UnsupportedOption } from "../errors.js"
import type { VmConfig } from "../internal/config.js"
import { type RunnerRequest, TSI_HIJACK_INET } from "../internal/runnerProtocol.js"

/**
 * Env var through which the guest init learns the mapped dirs: `tag:/guest/path,...`
 * (docs/architecture.md "Mapped directories").
 */
export const MOUNTS_ENV = "KRUNBOX_MOUNTS"

/** virtio-fs tag of mapped dir number `index`. */
export const virtiofsTag = (index: number): string => `krunbox${index}`

/** The `KRUNBOX_MOUNTS=...` entry, or undefined without mapped dirs. */
export const mountsEnvEntry = (mappedDirs: ReadonlyArray<PathPair.PathPair>): string | undefined =>
  mappedDirs.length === 0
    ? undefined
    : `${MOUNTS_ENV}=${mappedDirs.map((pair, index) => `${virtiofsTag(index)}:${pair.guest}`).join(",")}`

/** Command-line room the mounts entry takes, for core's validation budget. */
export const mountsEnvReserve = (mappedDirs: ReadonlyArray<PathPair.PathPair>): { bytes: number; envEntries: number } => {
  const entry = mountsEnvEntry(mappedDirs)
  // libkrun writes each env entry as ` "KEY=VALUE"`
  return entry === undefined ? { bytes: 0, envEntries: 0 } : { bytes: entry.length + 3, envEntries: 1 }
}

/**
 * Refuses what libkrun 1.19 cannot enforce, naming the option.
 */
/**
 * The smallest guest memory libkrun is asked for. Below ~37 MiB libkrun 1.19 panics while loading
 * libkrunfw's kernel ("Kernel doesn't fit in RAM") and aborts the runner; 64 MiB leaves the
 * kernel room to reach userspace.
 */
export const LIBKRUN_MIN_MEMORY_MIB = 64

export const checkLibkrunSupport = (config: VmConfig): void => {
  const refuse = (option: string, value: unknown, why: string, fix: string): never => {
    throw new UnsupportedOption({ engine: "libkrun", option, value, why, fix })
  }
  if (config.scope === "group" || config.scope === "public") {
    refuse("scope", config.scope, "libkrun 1.19's TSI networking has no address filter, so the scope cannot be enforced",
      "use scope \"none\" or \"any\"")
  }
  if (config.memoryMib < LIBKRUN_MIN_MEMORY_MIB) {
    refuse("memoryMib", config.memoryMib, `libkrunfw's guest kernel needs at least ${LIBKRUN_MIN_MEMORY_MIB} MiB to boot (below ~37 MiB libkrun aborts)`,
      `give the VM at least ${LIBKRUN_MIN_MEMORY_MIB} MiB (the default is 1024)`)
  }
  if (config.ip !== undefined) refuse("ip", config.ip, "TSI networking gives the guest no interface to address", "leave ip unset")
  if (config.subnet !== undefined) refuse("subnet", config.subnet, "TSI networking gives the guest no interface or subnet", "leave subnet unset")
  for (const pair of config.mappedDirs) {
    if (pair.guest.includes(",")) {
      refuse("mappedDirs", `${pair.host}:${pair.guest}`, `the guest path travels in ${MOUNTS_ENV}, a comma-separated list`,
        "use a guest path without \",\"")
    }
  }
}

export interface PlanInputs {
  readonly parentPid: number
  readonly libkrunPath: string | null
  readonly libkrunfwPath: string | null
  readonly root: string
  readonly overlayMountData: string | null
  readonly controlSocket: string
  readonly stopBeforeEnter: boolean
  readonly holdMs?: number
}

export const runnerRequest = (config: VmConfig, inputs: PlanInputs): RunnerRequest => {
  const mounts = mountsEnvEntry(config.mappedDirs)
  return {
    v: 1,
    parentPid: inputs.parentPid,
    libkrunPath: inputs.libkrunPath,
    libkrunfwPath: inputs.libkrunfwPath,
    logLevel: config.logLevel,
    numVcpus: config.numVcpus,
    memoryMib: config.memoryMib,
    pidsLimit: config.pidsLimit,
    root: inputs.root,
    overlay: inputs.overlayMountData === null ? null : { mountData: inputs.overlayMountData },
    virtiofs: config.mappedDirs.map((pair, index) => ({ tag: virtiofsTag(index), hostPath: resolve(pair.host), readOnly: pair.readOnly === true })),
    tsiFlags: config.scope === "any" ? TSI_HIJACK_INET : 0,
    // an empty list exposes no port; NULL (not calling) would expose every listening guest port
    portMap: config.scope === "any" ? config.portMap.map((pair) => `${pair.host}:${pair.guest}`) : null,
    controlSocket: inputs.controlSocket,
    rlimits: config.rlimits.map((limit) => `${limit.resource}=${limit.soft}:${limit.hard}`),
    workdir: config.workdirPath ?? null,
    execPath: config.execPath,
    args: [...config.args],
    env: [...config.env.map((pair) => `${pair.key}=${pair.value}`), ...(mounts === undefined ? [] : [mounts])],
    consoleOutput: config.consoleOutput ?? null,
    stopBeforeEnter: inputs.stopBeforeEnter,
    holdMs: inputs.holdMs ?? 0
  }
}
