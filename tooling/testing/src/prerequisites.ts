/**
 * When a test may be skipped, for every package's tests. Outside CI a missing prerequisite
 * (runsc, busybox, the built runner, root, ...) skips the test with its reason in the title. Under `CI` it never does: the test runs
 * and fails at once with that reason, because a CI that silently skips proves nothing (the same
 * rule as packages/ffi's real-library suites). The one skip CI allows is the documented PVM case:
 * full microVM boots on a host whose /dev/kvm is kvm_pvm (bin/test proves them in the L1).
 */
import { accessSync, constants, existsSync } from "node:fs"

/** Whether `CI` is set to something that means yes (as in packages/ffi). */
export const isCI = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const value = env["CI"]
  return value !== undefined && value !== "" && value !== "0" && value !== "false"
}

export const inCI = isCI()

export interface Prerequisite {
  /** For `describe.skipIf` / `it.skipIf`: true only outside CI, when something is missing. */
  readonly skip: boolean
  /** The title, with the skip reason appended when it is skipped. */
  readonly title: (name: string) => string
  /** Call first in the test (or in `beforeAll`): under CI it fails with the missing prerequisite. */
  readonly check: () => void
}

/** `reason` is what is missing, or "" / undefined when everything is there. */
export const prerequisite = (reason: string | undefined, ci = inCI): Prerequisite => {
  const missing = reason === undefined || reason === "" ? undefined : reason
  const skip = missing !== undefined && !ci
  return {
    skip,
    title: (name) => (skip ? `${name} (skipped: ${missing})` : name),
    check: () => {
      if (missing !== undefined) throw new Error(`prerequisite missing under CI, where skipping is not allowed: ${missing}`)
    }
  }
}

/**
 * What the host offers for full microVM boots, decided from the host's own facts and never from
 * the code under test (a regression that breaks booting must fail the suite, not skip it):
 * `pvm` (the documented skip), `none` (no usable /dev/kvm: a skip outside CI, a failure under it)
 * or `kvm`.
 */
export const hostKvmForBoots = (kvmPath = "/dev/kvm", sysModuleDir = "/sys/module"): "kvm" | "pvm" | "none" => {
  if (existsSync(`${sysModuleDir}/kvm_pvm`)) return "pvm"
  try {
    accessSync(kvmPath, constants.R_OK | constants.W_OK)
    return "kvm"
  } catch {
    return "none"
  }
}
