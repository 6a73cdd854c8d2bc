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

import { KrunboxError, TaggedError } from "@krunbox/core/KrunboxError"

/**
 * The one base of every krunbox error (`@krunbox/core`'s), re-exported so SDK users need one
 * import for `KrunboxError.isInstance(u)`.
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

/**
 * The libkrun boot probe says microVMs do not boot on this host (engine "libkrun" was forced).
 *
 * @since 0.1.0
 * @category errors
 */
export class MicroVmCannotBoot extends TaggedError("MicroVmCannotBoot")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `microVMs cannot boot on this host: ${this.reason}`
  }
  get hint(): string {
    return "use engine \"gvisor\" or \"auto\"; `krunbox doctor` shows the full diagnosis"
  }
}

/**
 * An engine's host program or library is missing (runsc not installed, libkrun not set up).
 *
 * @since 0.1.0
 * @category errors
 */
export class EngineUnavailable extends TaggedError("EngineUnavailable")<{
  readonly engine: EngineName
  readonly reason: string
  readonly fix: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `engine ${this.engine} is unavailable: ${this.reason}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * The chosen engine cannot honour one option of the configuration (it never silently ignores or
 * widens one).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedOption extends TaggedError("UnsupportedOption")<{
  readonly engine: EngineName
  readonly option: string
  readonly value: unknown
  readonly why: string
  readonly fix: string
}> {
  override get message(): string {
    return `engine ${this.engine} cannot honour ${this.option}=${show(this.value)}: ${this.why}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * An overlayfs rootfs was requested but this process lacks what mounting one needs.
 *
 * @since 0.1.0
 * @category errors
 */
export class OverlayUnavailable extends TaggedError("OverlayUnavailable")<{
  readonly paths: ReadonlyArray<string>
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `cannot assemble the overlayfs rootfs [${this.paths.join(", ")}]: ${this.reason}`
  }
  get hint(): string {
    return "overlayfs rootfs needs root (CAP_SYS_ADMIN) for a kernel overlay mount in a private mount namespace; run as root, or pass a prepared directory with Rootfs.native"
  }
}

/**
 * No rootfs was given and the native runtime cache has no default rootfs yet.
 *
 * @since 0.1.0
 * @category errors
 */
export class DefaultRootfsUnavailable extends TaggedError("DefaultRootfsUnavailable")<{
  readonly manifest: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `no rootfs given and no default rootfs in ${this.manifest}: ${this.reason}`
  }
  get hint(): string {
    return "run `krunbox setup` (or Setup.run()) once, or pass .rootfs(\"/path/to/rootfs\")"
  }
}

/**
 * The VM runner failed before the guest booted; `failure` is the runner's structured report
 * (its own `_tag`, e.g. a libkrun call with its errno), `call` the libkrun function when known.
 *
 * @since 0.1.0
 * @category errors
 */
export class PreBootFailure extends TaggedError("PreBootFailure")<{
  readonly engine: EngineName
  readonly stage: string
  readonly failure: Readonly<Record<string, unknown>>
  readonly cause?: unknown
}> {
  constructor(props: {
    readonly engine: EngineName
    readonly stage: string
    readonly failure: Readonly<Record<string, unknown>>
    /** Defaults to `failure`. */
    readonly cause?: unknown
  }) {
    super({ ...props, cause: props.cause ?? props.failure })
  }
  override get message(): string {
    const inner = typeof this.failure["message"] === "string" ? this.failure["message"] : show(this.failure)
    return `${this.engine} failed before boot (${this.stage}): ${inner}`
  }
  get hint(): string {
    const inner = this.failure["hint"]
    return typeof inner === "string" ? inner : "check the configuration value named in the message; `krunbox doctor` checks the host"
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
export class EngineCrashed extends TaggedError("EngineCrashed")<{
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stderrTail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const how = this.signal === null
      ? `ended before the guest started (exit code ${this.exitCode})`
      : `died of signal ${this.signal}, which krunbox did not send`
    return `the ${this.engine} engine process ${how}${this.stderrTail === "" ? "" : `: ${lastLines(this.stderrTail)}`}`
  }
  get hint(): string {
    return "`krunbox doctor` checks the host; rerun with logLevel(5) for the engine's own log"
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
export class GuestCrashed extends TaggedError("GuestCrashed")<{
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly consoleTail: string
  readonly consoleOutput: string | null
  readonly cause?: unknown
}> {
  override get message(): string {
    const tail = lastLines(this.consoleTail)
    return `the ${this.engine} guest ended without reporting its workload's status: the guest init sent \`ready\` but no \`exit\`, and the VMM exited with code ${this.exitCode} (the guest kernel crashed, triple-faulted or rebooted while the workload ran)${tail === "" ? "" : `: ${tail}`}`
  }
  get hint(): string {
    const see = this.consoleOutput === null
      ? "rerun with `--console-output FILE` (consoleOutput(path)) and logLevel(5) to see the guest kernel's last messages"
      : `read the guest kernel's last messages in ${this.consoleOutput}; logLevel(5) adds the VMM's`
    return `${see}; a workload that reboots or powers off its guest ends it this way too`
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
export class GuestBootFailed extends TaggedError("GuestBootFailed")<{
  readonly engine: EngineName
  readonly exitCode: number | null
  readonly consoleTail: string
  readonly consoleOutput: string | null
  readonly pvmHost: boolean
  readonly cause?: unknown
}> {
  override get message(): string {
    const tail = lastLines(this.consoleTail)
    return `the ${this.engine} guest never became ready: the VMM exited with code ${this.exitCode} before the guest init reported \`ready\` (the guest kernel died, rebooted or hung before userspace)${tail === "" ? "" : `: ${tail}`}`
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
}

/**
 * An image rootfs was asked to run its own command, but the image defines neither Entrypoint
 * nor Cmd and the builder got no execPath or args.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageHasNoCommand extends TaggedError("ImageHasNoCommand")<{
  readonly reference: string
}> {
  override get message(): string {
    return `image ${this.reference} defines no Entrypoint or Cmd, and no command was given`
  }
  get hint(): string {
    return `name the program: .execPath("/bin/sh") on the builder, or \`krunbox run ${this.reference} -- /bin/sh\``
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
export class ConsoleOutputUnwritable extends TaggedError("ConsoleOutputUnwritable")<{
  readonly engine: EngineName
  readonly path: string
  readonly code: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `cannot write the console output file ${show(this.path)} (${this.code})`
  }
  get hint(): string {
    if (this.code === "EISDIR") return "consoleOutput must name a file, not a directory, e.g. DIR/console.log"
    if (this.code === "ENOENT" || this.code === "ENOTDIR") return "create the file's folder first (mkdir -p), or name a file in an existing folder"
    return "name a file in a folder this process may write to"
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
export class InvalidBuilderArgument extends TaggedError("InvalidBuilderArgument")<{
  readonly method: string
  readonly value: unknown
  readonly expected: string
  readonly example: string
  /** What exactly is wrong with the value, when `expected` alone does not say it. */
  readonly problem?: string
}> {
  override get message(): string {
    return `.${this.method}() takes ${this.expected}, got ${showAny(this.value)}${this.problem === undefined ? "" : ` (${this.problem})`}`
  }
  get hint(): string {
    return `call it like ${this.example}`
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
export class InvalidTimeout extends TaggedError("InvalidTimeout")<{
  readonly value: unknown
  readonly max: number
}> {
  constructor(props: { readonly value: unknown }) {
    super({ value: props.value, max: MAX_TIMEOUT_MS })
  }
  override get message(): string {
    return `timeoutMs must be a number of milliseconds above 0 and at most ${MAX_TIMEOUT_MS} (365 days), got ${showAny(this.value)}`
  }
  get hint(): string {
    return `give timeoutMs a finite number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (365 days), or leave it unset for no timeout`
  }
}

/** The last three lines of an engine's output, on one line. */
const lastLines = (text: string): string => text.trim().split("\n").slice(-3).join(" | ")

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
