/**
 * Errors of the host checks (`/dev/kvm` access, PVM). Setup's own failures are in `SetupError`.
 *
 * @since 0.1.0
 */
import { KrunboxError } from "@krunbox/core"

/**
 * `/dev/kvm` is missing or this user cannot open it read/write.
 *
 * @since 0.1.0
 * @category errors
 */
export class KvmUnavailable extends KrunboxError {
  readonly _tag = "KvmUnavailable" as const
  readonly path: string
  readonly code: string
  constructor(props: { readonly path: string; readonly code: string; readonly cause?: unknown }) {
    super(
      props.code === "ENOENT"
        ? `${props.path} does not exist: this host has no KVM`
        : `${props.path} is not readable and writable by this user (${props.code})`,
      { cause: props.cause }
    )
    this.path = props.path
    this.code = props.code
  }
  get hint(): string {
    return this.code === "ENOENT"
      ? "load the kvm module (kvm_intel / kvm_amd), enable nested virtualisation for this VM, or use engine \"gvisor\""
      : `add this user to the group owning ${this.path} (often "kvm"), or use engine "gvisor"`
  }
  static override isInstance(u: unknown): u is KvmUnavailable {
    return KrunboxError.isInstance(u) && u._tag === "KvmUnavailable"
  }
}

/**
 * `/dev/kvm` is provided by PVM (`kvm_pvm`), which only runs PVM-enlightened guest kernels.
 *
 * @since 0.1.0
 * @category errors
 */
export class KvmIsPvm extends KrunboxError {
  readonly _tag = "KvmIsPvm" as const
  readonly module: string
  constructor(props: { readonly module: string }) {
    super(
      "this host's /dev/kvm is PVM (kvm_pvm): it cannot boot standard guest kernels; use engine gvisor or run on a host with real KVM"
    )
    this.module = props.module
  }
  get hint(): string {
    return "use engine \"gvisor\" (or \"auto\"), or run on a host with hardware KVM"
  }
  static override isInstance(u: unknown): u is KvmIsPvm {
    return KrunboxError.isInstance(u) && u._tag === "KvmIsPvm"
  }
}
