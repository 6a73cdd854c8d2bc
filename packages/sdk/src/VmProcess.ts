/**
 * A running VM as the user sees it, the same for every engine.
 *
 * @since 0.1.0
 */
import { performance } from "node:perf_hooks"
import { PassThrough, type Readable } from "node:stream"
import type { EngineEnd, EngineSession } from "./engine/Engine.js"
import { type EngineName, InvalidTimeout, MAX_TIMEOUT_MS } from "./errors.js"
import { setLongTimeout } from "./internal/longTimer.js"
import type { NoticeListener } from "./Notice.js"

/**
 * Where a stream of the guest goes: `"pipe"` (a `Readable` on the handle), `"inherit"` (this
 * process's own stdout/stderr) or `"ignore"`.
 *
 * @since 0.1.0
 * @category models
 */
export type StdioMode = "pipe" | "inherit" | "ignore"

/**
 * @since 0.1.0
 * @category models
 */
export interface SpawnOptions {
  /** Default `"pipe"`. */
  readonly stdout?: StdioMode
  /** Default `"pipe"`. */
  readonly stderr?: StdioMode
  /** Aborting kills the VM (SIGKILL); `exited` then resolves with `signal: "SIGKILL"`. */
  readonly signal?: AbortSignal
  /**
   * Kills the VM (SIGKILL) after this many milliseconds; `exited` then has `timedOut: true`. Any
   * duration above 0 up to `MAX_TIMEOUT_MS` (365 days) works; anything else is `InvalidTimeout`.
   */
  readonly timeoutMs?: number
  /**
   * Receives what the caller should know that is not a failure (engine `auto` fell back to
   * gvisor, an image's `User` was not applied, ...), as typed values; the SDK never prints them.
   */
  readonly onNotice?: NoticeListener
}

/** Checks `timeoutMs` before anything starts. */
const checkTimeout = (timeoutMs: unknown): number | undefined => {
  if (timeoutMs === undefined) return undefined
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidTimeout({ value: timeoutMs })
  }
  return timeoutMs
}

/**
 * How a VM ended.
 *
 * - `status`: the guest workload's exit status (0..255). A workload killed by signal n inside the
 *   guest gives 128+n; the guest init uses 125 (setup failed), 126 (cannot execute) and 127 (not
 *   found). `null` when the VM itself was killed.
 * - `signal`: the signal krunbox sent that ended the VM (`kill()`, timeout, abort); `null` when
 *   the guest exited by itself, also when a kill came only after that (during cleanup). A signal
 *   krunbox did not send (libkrun aborting, the OOM killer) rejects `exited` with `EngineCrashed`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExitInfo {
  readonly status: number | null
  readonly signal: string | null
  readonly timedOut: boolean
  readonly engine: EngineName
  readonly timings: {
    /** From spawn() to the guest's readiness (libkrun: the init's `ready`; gvisor: container started); null if never seen. */
    readonly readyMs: number | null
    /** From spawn() to the end, cleanup included. */
    readonly totalMs: number
  }
}

/**
 * A VM started by `vm.spawn()`. `exited` rejects only when the VM could not be started (a typed
 * pre-boot error), its guest never came up (libkrun: `GuestBootFailed`, the VMM ended before the
 * guest init reported `ready`) or its guest died without reporting a status (libkrun:
 * `GuestCrashed`, `ready` but no `exit`); a workload that fails still resolves it with its status.
 *
 * @since 0.1.0
 * @category models
 */
export interface VmProcess extends AsyncDisposable {
  /** The guest's stdout when spawned with `stdout: "pipe"`, else null. */
  readonly stdout: Readable | null
  /** The guest's stderr when spawned with `stderr: "pipe"`, else null. */
  readonly stderr: Readable | null
  readonly exited: Promise<ExitInfo>
  /** Ends the VM (default SIGKILL). No effect once it has ended. */
  kill(signal?: NodeJS.Signals): void
  /** Kills the VM if it still runs and waits until it and its resources are gone. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
  /** As in {@link SpawnOptions}. */
  readonly onNotice?: NoticeListener
  /** Per stream; output beyond it is dropped and `truncated` is set. Default 16 MiB. */
  readonly maxBufferBytes?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunResult extends ExitInfo {
  readonly stdout: string
  readonly stderr: string
  /** True when stdout or stderr exceeded `maxBufferBytes` and was cut. */
  readonly truncated: boolean
}

/** @internal */
export class VmProcessImpl implements VmProcess {
  readonly stdout: Readable | null
  readonly stderr: Readable | null
  readonly exited: Promise<ExitInfo>
  readonly #startedAt = performance.now()
  #session: EngineSession | undefined
  /** A kill asked for before the engine's session existed: sent as soon as it does. */
  #pendingKill: NodeJS.Signals | null = null
  /** The first signal that actually reached the running VM (only that one may be reported). */
  #delivered: NodeJS.Signals | null = null
  #timedOut = false
  #done = false
  #readyMs: number | null = null

  constructor(launch: () => Promise<EngineSession>, options: SpawnOptions = {}) {
    const timeoutMs = checkTimeout(options.timeoutMs)
    const stdoutMode = options.stdout ?? "pipe"
    const stderrMode = options.stderr ?? "pipe"
    const stdout = stdoutMode === "pipe" ? new PassThrough() : null
    const stderr = stderrMode === "pipe" ? new PassThrough() : null
    this.stdout = stdout
    this.stderr = stderr

    let cancelTimer: (() => void) | undefined
    const onAbort = () => this.kill("SIGKILL")
    if (timeoutMs !== undefined) {
      cancelTimer = setLongTimeout(timeoutMs, () => {
        if (this.#deliver("SIGKILL")) this.#timedOut = true
      })
    }
    if (options.signal !== undefined) {
      if (options.signal.aborted) this.#pendingKill = "SIGKILL"
      else options.signal.addEventListener("abort", onAbort, { once: true })
    }
    const finish = () => {
      this.#done = true
      cancelTimer?.()
      options.signal?.removeEventListener("abort", onAbort)
    }

    this.exited = (async (): Promise<ExitInfo> => {
      let session: EngineSession
      try {
        session = await launch()
      } catch (error) {
        finish()
        stdout?.end()
        stderr?.end()
        throw error
      }
      this.#session = session
      session.onReady(() => {
        this.#readyMs = performance.now() - this.#startedAt
      })
      if (this.#pendingKill !== null) this.#deliver(this.#pendingKill)
      const drained = Promise.all([
        forward(session.stdout, stdoutMode, stdout, process.stdout),
        forward(session.stderr, stderrMode, stderr, process.stderr)
      ])
      let end: EngineEnd
      try {
        end = await session.ended
        await drained
      } finally {
        finish()
      }
      // How the VM ended is the engine's report; a kill counts only when it reached the running
      // VM (a kill during cleanup, after the VM exited by itself, changes nothing). A failure
      // after a delivered kill is that kill's doing (e.g. the pull or the launch it stopped).
      const delivered = this.#delivered
      if (end._tag === "Failed" && delivered === null) throw end.error
      const killedBy = end._tag === "Signaled" ? end.signal : end._tag === "Failed" ? delivered : null
      return {
        status: end._tag === "Exited" ? end.status : null,
        signal: killedBy,
        timedOut: this.#timedOut && killedBy !== null,
        engine: session.engine,
        timings: { readyMs: this.#readyMs, totalMs: performance.now() - this.#startedAt }
      }
    })()
    // a caller who never awaits `exited` must not get an unhandled rejection
    this.exited.catch(() => {})
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.#deliver(signal)
  }

  /** Sends a signal to the running VM (or queues it until the engine's session exists). */
  #deliver(signal: NodeJS.Signals): boolean {
    if (this.#done) return false
    const session = this.#session
    if (session === undefined) {
      this.#pendingKill ??= signal
      this.#delivered ??= signal
      return true
    }
    const delivered = session.kill(signal)
    if (delivered) this.#delivered ??= signal
    return delivered
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL")
    try {
      await this.exited
    } catch {
      // the pre-boot error was already delivered through `exited`
    }
  }
}

/**
 * Connects an engine stream to its destination. Resolves once everything was written and the
 * engine's stream is closed for "inherit"/"ignore" (so `start()` returns after the output); for
 * "pipe" it resolves at once, as the caller may read the stream after `exited` (waiting would
 * deadlock a caller who never reads).
 *
 * Closed, not just ended: an engine stream is usually a socket to the engine process, and a
 * socket emits `end` at EOF several event-loop turns before its fd is closed (shutdown, finish,
 * destroy). Resolving at `end` let `exited` resolve (and the caller's stream end) while the fd was
 * still open: a VM that "left an fd behind" for whoever looked right then.
 */
const forward = (source: Readable, mode: StdioMode, piped: PassThrough | null, own: NodeJS.WriteStream): Promise<void> => {
  if (mode === "pipe" && piped !== null) {
    source.on("error", (error) => piped.destroy(error))
    source.pipe(piped, { end: false })
    source.once("close", () => {
      if (!piped.destroyed) piped.end()
    })
    return Promise.resolve()
  }
  return new Promise<void>((resolve) => {
    source.once("close", () => resolve())
    source.on("error", () => {})
    if (mode === "inherit") source.pipe(own, { end: false })
    else source.resume()
  })
}

/** Collects a stream up to a byte cap. @internal */
export const collect = (stream: Readable | null, maxBytes: number): { readonly done: Promise<{ text: string; truncated: boolean }> } => {
  if (stream === null) return { done: Promise.resolve({ text: "", truncated: false }) }
  const chunks: Array<Buffer> = []
  let size = 0
  let truncated = false
  return {
    done: new Promise((resolve) => {
      stream.on("data", (chunk: Buffer) => {
        if (size >= maxBytes) {
          truncated = true
          return
        }
        const room = maxBytes - size
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room))
          size = maxBytes
          truncated = true
        } else {
          chunks.push(chunk)
          size += chunk.length
        }
      })
      const finish = () => resolve({ text: Buffer.concat(chunks).toString("utf8"), truncated })
      stream.once("end", finish)
      stream.once("error", finish)
    })
  }
}
