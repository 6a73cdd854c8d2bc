/**
 * Errors of the host checks (`/dev/kvm` access, PVM). Setup's own failures are in `SetupError`.
 *
 * @since 0.1.0
 */
import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * `/dev/kvm` is missing or this user cannot open it read/write.
 *
 * @since 0.1.0
 * @category errors
 */
export class KvmUnavailable extends TaggedError("KvmUnavailable")<{
  readonly path: string
  readonly code: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.code === "ENOENT"
      ? `${this.path} does not exist: this host has no KVM`
      : `${this.path} is not readable and writable by this user (${this.code})`
  }
  get hint(): string {
    return this.code === "ENOENT"
      ? "load the kvm module (kvm_intel / kvm_amd), enable nested virtualisation for this VM, or use engine \"gvisor\""
      : `add this user to the group owning ${this.path} (often "kvm"), or use engine "gvisor"`
  }
}

/**
 * `/dev/kvm` is provided by PVM (`kvm_pvm`), which only runs PVM-enlightened guest kernels.
 *
 * @since 0.1.0
 * @category errors
 */
export class KvmIsPvm extends TaggedError("KvmIsPvm")<{
  readonly module: string
}> {
  override get message(): string {
    return "this host's /dev/kvm is PVM (kvm_pvm): it cannot boot standard guest kernels; use engine gvisor or run on a host with real KVM"
  }
  get hint(): string {
    return "use engine \"gvisor\" (or \"auto\"), or run on a host with hardware KVM"
  }
}
