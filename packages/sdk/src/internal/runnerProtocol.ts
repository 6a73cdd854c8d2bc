/**
 * The VM runner protocol (docs/architecture.md "VM runner protocol"): the parent writes one
 * {@link RunnerRequest} as JSON on the runner's fd 3 and closes it; the runner writes
 * {@link RunnerMessage}s as JSON lines on fd 4.
 *
 * Every value is pre-rendered by the parent (strings in libkrun's formats), so the runner needs
 * neither `effect` nor `@krunbox/core` (only @krunbox/guest's dependency-free constants): it starts
 * faster and stays small.
 */
import { ControlProtocol } from "@krunbox/guest"

export const RUNNER_PROTOCOL_VERSION = 1

/** Guest port the init connects to (@krunbox/guest's PROTOCOL.md). */
export const CONTROL_VSOCK_PORT = ControlProtocol.CONTROL_PORT

/** TSI flag bits of `krun_add_vsock` (libkrun's `TsiFlags`). */
export const TSI_HIJACK_INET = 1

export interface RunnerRequest {
  readonly v: 1
  /** The runner exits at once when its parent is not this pid any more (PDEATHSIG race). */
  readonly parentPid: number
  /** null: the runner uses @krunbox/ffi's discovery (env, runtime.json, system). */
  readonly libkrunPath: string | null
  readonly libkrunfwPath: string | null
  readonly logLevel: number
  readonly numVcpus: number
  readonly memoryMib: number
  /**
   * The workload's process limit, for the guest side to apply (the guest agent, issue 13); the
   * runner itself makes no libkrun call for it.
   */
  readonly pidsLimit: number
  /** Directory shared as the guest root (`krun_set_root`). */
  readonly root: string
  /** Kernel overlay to mount on `root` first (the runner then runs in a private mount namespace). */
  readonly overlay: { readonly mountData: string } | null
  /**
   * `krun_add_virtiofs3(tag, hostPath, 0, readOnly)`: the VMM's virtio-fs server refuses every
   * write to a read-only share; the guest init mounts them from `KRUNBOX_MOUNTS`.
   */
  readonly virtiofs: ReadonlyArray<{ readonly tag: string; readonly hostPath: string; readonly readOnly: boolean }>
  /** TSI flags for `krun_add_vsock`: 0 = no network (scope none), 1 = TSI inet (scope any). */
  readonly tsiFlags: number
  /** `krun_set_port_map` entries (`"host:guest"`); null = do not call it. */
  readonly portMap: ReadonlyArray<string> | null
  readonly controlSocket: string
  /** `"ID=soft:hard"` strings for `krun_set_rlimits`; empty = do not call it. */
  readonly rlimits: ReadonlyArray<string>
  readonly workdir: string | null
  readonly execPath: string
  readonly args: ReadonlyArray<string>
  /** `"KEY=VALUE"` strings (never null: NULL would copy the runner's own environment). */
  readonly env: ReadonlyArray<string>
  readonly consoleOutput: string | null
  /** Stop right before `krun_start_enter`: report `stopped` with the calls made and exit 0. */
  readonly stopBeforeEnter: boolean
  /** With stopBeforeEnter: stay alive this long after `stopped` (tests of PDEATHSIG). */
  readonly holdMs: number
}

/** One libkrun call the runner made, in order. */
export interface RunnerCall {
  readonly fn: string
  readonly args: ReadonlyArray<unknown>
}

export type RunnerMessage =
  | { readonly type: "entering"; readonly calls: ReadonlyArray<RunnerCall>; readonly rssBytes: number; readonly uptimeMs: number }
  | {
    readonly type: "stopped"
    readonly calls: ReadonlyArray<RunnerCall>
    readonly rssBytes: number
    readonly uptimeMs: number
    /** What the guest root dir holds as the runner sees it (proves an overlay was assembled). */
    readonly rootEntries: ReadonlyArray<string>
  }
  | { readonly type: "error"; readonly stage: string; readonly error: Readonly<Record<string, unknown>>; readonly calls: ReadonlyArray<RunnerCall> }

/** Exit code of the runner after a pre-boot failure it reported on fd 4. */
export const RUNNER_PREBOOT_EXIT = 125
