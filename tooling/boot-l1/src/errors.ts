/**
 * Every way the L1 harness can fail. Each error names the offending value and carries a hint
 * that says what to do about it; `main` prints `message` and `hint` and exits non-zero.
 *
 * @since 0.1.0
 */

abstract class BootL1ErrorBase extends Error {
  abstract readonly _tag: string
  /** What the user can do about it. */
  abstract readonly hint: string
}

/**
 * QEMU (`qemu-system-x86_64`) is absent and could not be installed.
 *
 * @since 0.1.0
 * @category errors
 */
export class QemuUnavailable extends BootL1ErrorBase {
  readonly _tag = "QemuUnavailable"
  constructor(readonly binary: string, readonly reason: string) {
    super(`${binary} is not available: ${reason}`)
  }
  get hint(): string {
    return "install Debian's qemu-system-x86 (as root: apt-get install -y --no-install-recommends qemu-system-x86), or put qemu-system-x86_64 on PATH"
  }
}

/**
 * An external command the harness relies on failed or could not be started.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommandFailed extends BootL1ErrorBase {
  readonly _tag = "CommandFailed"
  constructor(
    readonly command: string,
    readonly args: ReadonlyArray<string>,
    readonly exitCode: number | null,
    readonly output: string,
    readonly hint: string
  ) {
    const status = exitCode === null ? "could not start" : `exited ${exitCode}`
    super(`${command} ${args.join(" ")} ${status}${output.trim() === "" ? "" : `:\n${tail(output, 20)}`}`)
  }
}

/**
 * Debian's cloud kernel package could not be resolved or downloaded.
 *
 * @since 0.1.0
 * @category errors
 */
export class KernelPackageUnavailable extends BootL1ErrorBase {
  readonly _tag = "KernelPackageUnavailable"
  constructor(readonly packageName: string, readonly detail: string) {
    super(`cannot obtain ${packageName}: ${detail}`)
  }
  get hint(): string {
    return "run `apt-get update` (as root) so apt knows Debian bookworm's linux-image-cloud-amd64, or point KRUNBOX_L1_KERNEL_DEB at a downloaded linux-image-*-cloud-amd64 .deb"
  }
}

/**
 * The kernel package lacks a module the L1 needs (KVM or virtio-blk).
 *
 * @since 0.1.0
 * @category errors
 */
export class KernelModuleMissing extends BootL1ErrorBase {
  readonly _tag = "KernelModuleMissing"
  constructor(readonly module: string, readonly searchedDir: string) {
    super(`kernel module ${module}.ko not found under ${searchedDir}`)
  }
  get hint(): string {
    return "use an amd64 Debian cloud kernel package (linux-image-*-cloud-amd64), which ships kvm, kvm-amd and virtio_blk as modules; delete the l1/kernel cache directory to re-extract"
  }
}

/**
 * No statically linked busybox was found for the L1's initramfs and userspace.
 *
 * @since 0.1.0
 * @category errors
 */
export class BusyboxUnavailable extends BootL1ErrorBase {
  readonly _tag = "BusyboxUnavailable"
  constructor(readonly probed: ReadonlyArray<string>) {
    super(`no statically linked busybox found; probed: ${probed.join(", ")}`)
  }
  get hint(): string {
    return "run `krunbox setup` (its default rootfs carries busybox-static) or install Debian's busybox-static"
  }
}

/**
 * The native runtime (libkrun, libkrunfw, init, rootfs) has not been set up on the host.
 *
 * @since 0.1.0
 * @category errors
 */
export class RuntimeNotSetUp extends BootL1ErrorBase {
  readonly _tag = "RuntimeNotSetUp"
  constructor(readonly manifestPath: string, readonly detail: string) {
    super(`native runtime manifest ${manifestPath}: ${detail}`)
  }
  get hint(): string {
    return "run `bin/krunbox setup` first; the L1 reuses the host's cache"
  }
}

/**
 * The L1 VM stopped before its payload finished (a marker never came).
 *
 * @since 0.1.0
 * @category errors
 */
export class L1BootFailed extends BootL1ErrorBase {
  readonly _tag = "L1BootFailed"
  constructor(
    readonly stage: string,
    readonly qemuExit: string,
    readonly consoleTail: string
  ) {
    super(`the L1 VM stopped during "${stage}" (${qemuExit}); console tail:\n${consoleTail}`)
  }
  get hint(): string {
    return "read the console log above; try --cpu max or --memory 4096, and check that the kernel cache is intact (--refresh-kernel)"
  }
}

/**
 * The L1 VM ran past the harness's deadline and was killed.
 *
 * @since 0.1.0
 * @category errors
 */
export class L1TimedOut extends BootL1ErrorBase {
  readonly _tag = "L1TimedOut"
  constructor(
    readonly timeoutMs: number,
    readonly lastStage: string,
    readonly consoleTail: string,
    readonly runningTest: string | undefined = undefined
  ) {
    const test = runningTest === undefined ? "" : `, running the test ${runningTest}`
    super(`the L1 VM was still running after ${Math.round(timeoutMs / 1000)} s (last stage: ${lastStage}${test}); killed it. Console tail:\n${consoleTail}`)
  }
  get hint(): string {
    return "the emulated CPU is slow: raise --timeout, or run fewer tests (pass vitest filters after --)"
  }
}

/**
 * The L1 will never finish: a CPU of its kernel is stuck (soft lockup) or its userspace stopped
 * printing its heartbeat. Names the test that was running and shows the console tail.
 *
 * @since 0.1.0
 * @category errors
 */
export class L1Stalled extends BootL1ErrorBase {
  readonly _tag = "L1Stalled"
  constructor(
    readonly reason: string,
    readonly runningTest: string | undefined,
    readonly lastFinishedTest: string | undefined,
    readonly consoleTail: string
  ) {
    const where = runningTest !== undefined
      ? `while running the test ${runningTest}`
      : lastFinishedTest !== undefined
      ? `with no test running (the last one to finish: ${lastFinishedTest})`
      : "before any test started"
    super(`the L1 VM stalled ${where}: ${reason}; killed it. Console tail:\n${consoleTail}`)
  }
  get hint(): string {
    return "a rerun usually passes; if the same test stalls again, run it alone (pnpm test:boot -- libkrun -t 'NAME') and read docs/boot-l1.md (\"Failure modes\")"
  }
}

/**
 * The L1 finished but left no (or unreadable) test results.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResultsMissing extends BootL1ErrorBase {
  readonly _tag = "ResultsMissing"
  constructor(readonly path: string, readonly detail: string) {
    super(`no test results at ${path} in the L1 disk: ${detail}`)
  }
  get hint(): string {
    return "vitest did not finish inside the L1; see the console output above for the reason"
  }
}

/**
 * The harness was interrupted (SIGINT, SIGTERM or SIGHUP); the L1 was killed.
 *
 * @since 0.1.0
 * @category errors
 */
export class Interrupted extends BootL1ErrorBase {
  readonly _tag = "Interrupted"
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}; the L1 VM was killed`)
  }
  get hint(): string {
    return "nothing to clean up; run again when ready"
  }
}

/**
 * A command-line argument is malformed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends BootL1ErrorBase {
  readonly _tag = "UsageError"
  constructor(readonly argument: string, readonly detail: string) {
    super(`${argument}: ${detail}`)
  }
  get hint(): string {
    return "run with --help for the options"
  }
}

/**
 * Every error the harness can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type BootL1Error =
  | QemuUnavailable
  | CommandFailed
  | KernelPackageUnavailable
  | KernelModuleMissing
  | BusyboxUnavailable
  | RuntimeNotSetUp
  | L1BootFailed
  | L1TimedOut
  | L1Stalled
  | ResultsMissing
  | Interrupted
  | UsageError

/**
 * True for the harness's own typed errors.
 *
 * @since 0.1.0
 * @category errors
 */
export const isBootL1Error = (u: unknown): u is BootL1Error => u instanceof BootL1ErrorBase

/**
 * The last `lines` lines of a text.
 *
 * @since 0.1.0
 * @category utils
 */
export const tail = (text: string, lines: number): string => text.trimEnd().split("\n").slice(-lines).join("\n")
