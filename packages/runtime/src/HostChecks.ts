/**
 * Cheap checks of what this host can run, made before starting a VM.
 *
 * @since 0.1.0
 */
import { accessSync, constants, existsSync } from "node:fs"
import { join } from "node:path"
import { KvmIsPvm, KvmUnavailable } from "./errors.js"

/**
 * Throws {@link KvmUnavailable} unless `path` can be opened read/write by this user.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkKvmAccess = (path = "/dev/kvm"): void => {
  try {
    accessSync(path, constants.R_OK | constants.W_OK)
  } catch (cause) {
    throw new KvmUnavailable({ path, code: (cause as NodeJS.ErrnoException).code ?? "EACCES", cause })
  }
}

/**
 * True when `/dev/kvm` is served by PVM, which cannot boot standard guest kernels.
 *
 * @since 0.1.0
 * @category checks
 */
export const isPvmHost = (sysModuleDir = "/sys/module"): boolean => existsSync(join(sysModuleDir, "kvm_pvm"))

/**
 * Throws {@link KvmIsPvm} on a PVM host.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkNotPvm = (sysModuleDir = "/sys/module"): void => {
  if (isPvmHost(sysModuleDir)) throw new KvmIsPvm({ module: "kvm_pvm" })
}
