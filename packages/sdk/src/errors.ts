/**
 * Errors raised by the SDK itself (engine selection, host checks, pre-boot failures).
 *
 * Validation errors are not wrapped: `MicroVm.builder().build()` throws `@krunbox/core`'s own
 * tagged errors unchanged, so their `_tag` stays what core documents.
 *
 * Every class here is recognisable across duplicated copies of this package (two versions
 * installed side by side): use `KrunboxError.isInstance(u)` or the per-class `isInstance`, which
 * check a global symbol and the `_tag`, never `instanceof`.
 *
 * @since 0.1.0
 */

import { KrunboxError } from "@krunbox/core"

/**
 * The base of every krunbox error (moved to `@krunbox/core` so every package shares it).
 *
 * @since 0.1.0
 * @category errors
 */
export { KrunboxError }

/**
 * The host checks' errors (`@krunbox/runtime` owns the checks).
 *
 * @since 0.1.0
 * @category errors
 */
export { KvmIsPvm, KvmUnavailable } from "@krunbox/runtime"

/**
 * The engine names an error can refer to.
 *
 * @since 0.1.0
 * @category models
 */
export type EngineName = "libkrun" | "gvisor"

const hasTag = (u: unknown, tag: string): boolean =>
  KrunboxError.isInstance(u) && u._tag === tag

/**
 * The libkrun boot probe says microVMs do not boot on this host (engine "libkrun" was forced).
 *
 * @since 0.1.0
 * @category errors
 */
export class MicroVmCannotBoot extends KrunboxError {
  readonly _tag = "MicroVmCannotBoot" as const
  readonly reason: string
  constructor(props: { readonly reason: string; readonly cause?: unknown }) {
    super(`microVMs cannot boot on this host: ${props.reason}`, { cause: props.cause })
    this.reason = props.reason
  }
  get hint(): string {
    return "use engine \"gvisor\" or \"auto\"; `krunbox doctor` shows the full diagnosis"
  }
  static override isInstance(u: unknown): u is MicroVmCannotBoot {
    return hasTag(u, "MicroVmCannotBoot")
  }
}

/**
 * An engine's host program or library is missing (runsc not installed, libkrun not set up).
 *
 * @since 0.1.0
 * @category errors
 */
export class EngineUnavailable extends KrunboxError {
  readonly _tag = "EngineUnavailable" as const
  readonly engine: EngineName
  readonly reason: string
  readonly fix: string
  constructor(props: { readonly engine: EngineName; readonly reason: string; readonly fix: string; readonly cause?: unknown }) {
    super(`engine ${props.engine} is unavailable: ${props.reason}`, { cause: props.cause })
    this.engine = props.engine
    this.reason = props.reason
    this.fix = props.fix
  }
  get hint(): string {
    return this.fix
  }
  static override isInstance(u: unknown): u is EngineUnavailable {
    return hasTag(u, "EngineUnavailable")
  }
}

/**
 * The chosen engine cannot honour one option of the configuration (it never silently ignores or
 * widens one).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedOption extends KrunboxError {
  readonly _tag = "UnsupportedOption" as const
  readonly engine: EngineName
  readonly option: string
  readonly value: unknown
  readonly why: string
  readonly fix: string
  constructor(props: {
    readonly engine: EngineName
    readonly option: string
    readonly value: unknown
    readonly why: string
    readonly fix: string
  }) {
    super(`engine ${props.engine} cannot honour ${props.option}=${show(props.value)}: ${props.why}`)
    this.engine = props.engine
    this.option = props.option
    this.value = props.value
    this.why = props.why
    this.fix = props.fix
  }
  get hint(): string {
    return this.fix
  }
  static override isInstance(u: unknown): u is UnsupportedOption {
    return hasTag(u, "UnsupportedOption")
  }
}

/**
 * An overlayfs rootfs was requested but this process lacks what mounting one needs.
 *
 * @since 0.1.0
 * @category errors
 */
export class OverlayUnavailable extends KrunboxError {
  readonly _tag = "OverlayUnavailable" as const
  readonly paths: ReadonlyArray<string>
  readonly reason: string
  constructor(props: { readonly paths: ReadonlyArray<string>; readonly reason: string; readonly cause?: unknown }) {
    super(`cannot assemble the overlayfs rootfs [${props.paths.join(", ")}]: ${props.reason}`, { cause: props.cause })
    this.paths = props.paths
    this.reason = props.reason
  }
  get hint(): string {
    return "overlayfs rootfs needs root (CAP_SYS_ADMIN) for a kernel overlay mount in a private mount namespace; run as root, or pass a prepared directory with Rootfs.native"
  }
  static override isInstance(u: unknown): u is OverlayUnavailable {
    return hasTag(u, "OverlayUnavailable")
  }
}

/**
 * No rootfs was given and the native runtime cache has no default rootfs yet.
 *
 * @since 0.1.0
 * @category errors
 */
export class DefaultRootfsUnavailable extends KrunboxError {
  readonly _tag = "DefaultRootfsUnavailable" as const
  readonly manifest: string
  readonly reason: string
  constructor(props: { readonly manifest: string; readonly reason: string; readonly cause?: unknown }) {
    super(`no rootfs given and no default rootfs in ${props.manifest}: ${props.reason}`, { cause: props.cause })
    this.manifest = props.manifest
    this.reason = props.reason
  }
  get hint(): string {
    return "run `krunbox setup` (or Setup.run()) once, or pass .rootfs(\"/path/to/rootfs\")"
  }
  static override isInstance(u: unknown): u is DefaultRootfsUnavailable {
    return hasTag(u, "DefaultRootfsUnavailable")
  }
}

/**
 * The VM runner failed before the guest booted; `failure` is the runner's structured report
 * (its own `_tag`, e.g. a libkrun call with its errno), `call` the libkrun function when known.
 *
 * @since 0.1.0
 * @category errors
 */
export class PreBootFailure extends KrunboxError {
  readonly _tag = "PreBootFailure" as const
  readonly engine: EngineName
  readonly stage: string
  readonly failure: Readonly<Record<string, unknown>>
  constructor(props: {
    readonly engine: EngineName
    readonly stage: string
    readonly failure: Readonly<Record<string, unknown>>
    readonly cause?: unknown
  }) {
    const inner = typeof props.failure["message"] === "string" ? props.failure["message"] : show(props.failure)
    super(`${props.engine} failed before boot (${props.stage}): ${inner}`, { cause: props.cause ?? props.failure })
    this.engine = props.engine
    this.stage = props.stage
    this.failure = props.failure
  }
  get hint(): string {
    const inner = this.failure["hint"]
    return typeof inner === "string" ? inner : "check the configuration value named in the message; `krunbox doctor` checks the host"
  }
  static override isInstance(u: unknown): u is PreBootFailure {
    return hasTag(u, "PreBootFailure")
  }
}

/**
 * The engine's host process ended without a structured report: it failed before the guest
 * started, or it died of a signal krunbox did not send (libkrun panicking with SIGABRT, a
 * segfault, the OOM killer, a kill from outside). `stderrTail` holds its last output (the runner's
 * stderr; runsc's logged error).
 *
 * @since 0.1.0
 * @category errors
 */
export class EngineCrashed extends KrunboxError {
  readonly _tag = "EngineCrashed" as const
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stderrTail: string
  constructor(props: {
    readonly engine: EngineName
    readonly exitCode: number | null
    readonly signal: string | null
    readonly stderrTail: string
    readonly cause?: unknown
  }) {
    const how = props.signal === null
      ? `ended before the guest started (exit code ${props.exitCode})`
      : `died of signal ${props.signal}, which krunbox did not send`
    super(`the ${props.engine} engine process ${how}${props.stderrTail === "" ? "" : `: ${props.stderrTail.trim().split("\n").slice(-3).join(" | ")}`}`, { cause: props.cause })
    this.engine = props.engine
    this.exitCode = props.exitCode
    this.signal = props.signal
    this.stderrTail = props.stderrTail
  }
  get hint(): string {
    return "`krunbox doctor` checks the host; rerun with logLevel(5) for the engine's own log"
  }
  static override isInstance(u: unknown): u is EngineCrashed {
    return hasTag(u, "EngineCrashed")
  }
}

/**
 * The guest came up (its init sent `ready`) but the VM ended without the init's `exit` message, so
 * nobody reported the workload's status: the guest kernel crashed, triple-faulted or rebooted
 * mid-run (libkrun's VMM then exits, usually with 0). The VMM's exit code is kept in `exitCode`
 * but never passed off as the workload's status. `consoleTail` as in {@link GuestBootFailed}.
 *
 * @since 0.1.0
 * @category errors
 */
export class GuestCrashed extends KrunboxError {
  readonly _tag = "GuestCrashed" as const
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly consoleTail: string
  readonly consoleOutput: string | null
  constructor(props: {
    readonly engine: EngineName
    readonly exitCode: number | null
    readonly consoleTail: string
    readonly consoleOutput: string | null
    readonly cause?: unknown
  }) {
    const tail = props.consoleTail.trim().split("\n").slice(-3).join(" | ")
    super(
      `the ${props.engine} guest ended without reporting its workload's status: the guest init sent \`ready\` but no \`exit\`, and the VMM exited with code ${props.exitCode} (the guest kernel crashed, triple-faulted or rebooted while the workload ran)${tail === "" ? "" : `: ${tail}`}`,
      { cause: props.cause }
    )
    this.engine = props.engine
    this.exitCode = props.exitCode
    this.consoleTail = props.consoleTail
    this.consoleOutput = props.consoleOutput
  }
  get hint(): string {
    const see = this.consoleOutput === null
      ? "rerun with `--console-output FILE` (consoleOutput(path)) and logLevel(5) to see the guest kernel's last messages"
      : `read the guest kernel's last messages in ${this.consoleOutput}; logLevel(5) adds the VMM's`
    return `${see}; a workload that reboots or powers off its guest ends it this way too`
  }
  static override isInstance(u: unknown): u is GuestCrashed {
    return hasTag(u, "GuestCrashed")
  }
}

/**
 * The microVM ended without its guest ever becoming ready: the VMM exited (often with 0) but the
 * guest init never sent `ready` on the control channel, so no workload ran. A guest kernel that
 * panics, reboots or runs out of memory before userspace ends libkrun's VMM with 0, which must not
 * pass for the workload's status. `exitCode` is the runner's own exit code; `consoleTail` the end
 * of what the VMM and the guest console wrote (the `consoleOutput` file when set, else the runner's
 * stderr), empty when the log level hid everything.
 *
 * @since 0.1.0
 * @category errors
 */
export class GuestBootFailed extends KrunboxError {
  readonly _tag = "GuestBootFailed" as const
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly consoleTail: string
  readonly consoleOutput: string | null
  readonly pvmHost: boolean
  constructor(props: {
    readonly engine: EngineName
    readonly exitCode: number | null
    readonly consoleTail: string
    readonly consoleOutput: string | null
    readonly pvmHost: boolean
    readonly cause?: unknown
  }) {
    const tail = props.consoleTail.trim().split("\n").slice(-3).join(" | ")
    super(
      `the ${props.engine} guest never became ready: the VMM exited with code ${props.exitCode} before the guest init reported \`ready\` (the guest kernel died, rebooted or hung before userspace)${tail === "" ? "" : `: ${tail}`}`,
      { cause: props.cause }
    )
    this.engine = props.engine
    this.exitCode = props.exitCode
    this.consoleTail = props.consoleTail
    this.consoleOutput = props.consoleOutput
    this.pvmHost = props.pvmHost
  }
  get hint(): string {
    if (this.pvmHost) {
      return "this host's /dev/kvm is PVM (kvm_pvm), which cannot boot standard guest kernels: use engine \"gvisor\" (or \"auto\"), or a host with hardware KVM; `krunbox doctor` has the diagnosis"
    }
    const see = this.consoleOutput === null
      ? "rerun with `--console-output FILE` (consoleOutput(path)) and logLevel(5) to see the guest kernel's messages"
      : `read the guest kernel's messages in ${this.consoleOutput}; logLevel(5) adds the VMM's`
    return `${see}; too little memory (ramMib) makes the kernel panic before userspace; \`krunbox doctor\` runs the boot probe`
  }
  static override isInstance(u: unknown): u is GuestBootFailed {
    return hasTag(u, "GuestBootFailed")
  }
}

/**
 * An image rootfs was asked to run its own command, but the image defines neither Entrypoint
 * nor Cmd and the builder got no execPath or args.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageHasNoCommand extends KrunboxError {
  readonly _tag = "ImageHasNoCommand" as const
  readonly reference: string
  constructor(props: { readonly reference: string }) {
    super(`image ${props.reference} defines no Entrypoint or Cmd, and no command was given`)
    this.reference = props.reference
  }
  get hint(): string {
    return `name the program: .execPath("/bin/sh") on the builder, or \`krunbox run ${this.reference} -- /bin/sh\``
  }
  static override isInstance(u: unknown): u is ImageHasNoCommand {
    return hasTag(u, "ImageHasNoCommand")
  }
}

/**
 * The engine could not create or truncate the `consoleOutput` file (`code` is the errno name:
 * `EISDIR`, `ENOENT`, `EACCES`, ...). Validation refuses a directory or a missing folder at
 * `build()`; this is what is found only when the run starts (the folder went away meanwhile,
 * no permission, a read-only filesystem).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConsoleOutputUnwritable extends KrunboxError {
  readonly _tag = "ConsoleOutputUnwritable" as const
  readonly engine: EngineName
  readonly path: string
  readonly code: string
  constructor(props: { readonly engine: EngineName; readonly path: string; readonly code: string; readonly cause?: unknown }) {
    super(`cannot write the console output file ${show(props.path)} (${props.code})`, { cause: props.cause })
    this.engine = props.engine
    this.path = props.path
    this.code = props.code
  }
  get hint(): string {
    if (this.code === "EISDIR") return "consoleOutput must name a file, not a directory, e.g. DIR/console.log"
    if (this.code === "ENOENT" || this.code === "ENOTDIR") return "create the file's folder first (mkdir -p), or name a file in an existing folder"
    return "name a file in a folder this process may write to"
  }
  static override isInstance(u: unknown): u is ConsoleOutputUnwritable {
    return hasTag(u, "ConsoleOutputUnwritable")
  }
}

/**
 * A builder method was called with an argument of the wrong type or shape (from JavaScript, or
 * past the types): `.args("hello")` instead of `.args(["hello"])`, `.engine("qemu")`. Thrown by the
 * method itself, before anything runs. `method` names it, `value` is what it got, `expected` what
 * it takes and the hint shows a correct call.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidBuilderArgument extends KrunboxError {
  readonly _tag = "InvalidBuilderArgument" as const
  readonly method: string
  readonly value: unknown
  readonly expected: string
  readonly example: string
  constructor(props: { readonly method: string; readonly value: unknown; readonly expected: string; readonly example: string; readonly problem?: string }) {
    super(`.${props.method}() takes ${props.expected}, got ${showAny(props.value)}${props.problem === undefined ? "" : ` (${props.problem})`}`)
    this.method = props.method
    this.value = props.value
    this.expected = props.expected
    this.example = props.example
  }
  get hint(): string {
    return `call it like ${this.example}`
  }
  static override isInstance(u: unknown): u is InvalidBuilderArgument {
    return hasTag(u, "InvalidBuilderArgument")
  }
}

/**
 * The longest `timeoutMs` a VM accepts: 365 days. Node's own timers stop at 2^31-1 ms (24.8 days);
 * krunbox chains them, so every duration up to this one is honoured.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TIMEOUT_MS = 365 * 24 * 60 * 60 * 1000

/**
 * `timeoutMs` is not a number of milliseconds between 1 and {@link MAX_TIMEOUT_MS}.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidTimeout extends KrunboxError {
  readonly _tag = "InvalidTimeout" as const
  readonly value: unknown
  readonly max: number
  constructor(props: { readonly value: unknown }) {
    super(`timeoutMs must be a number of milliseconds above 0 and at most ${MAX_TIMEOUT_MS} (365 days), got ${showAny(props.value)}`)
    this.value = props.value
    this.max = MAX_TIMEOUT_MS
  }
  get hint(): string {
    return `give timeoutMs a finite number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (365 days), or leave it unset for no timeout`
  }
  static override isInstance(u: unknown): u is InvalidTimeout {
    return hasTag(u, "InvalidTimeout")
  }
}

/** Like {@link show}, for any value: NaN, Infinity, bigints, undefined, functions, cycles. */
const showAny = (value: unknown): string => {
  if (typeof value === "number") return String(value)
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "function") return "a function"
  if (typeof value === "symbol") return String(value)
  if (value === undefined) return "undefined"
  const text = show(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

const show = (value: unknown): string => {
  try {
    return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))
  } catch {
    return String(value)
  }
}
