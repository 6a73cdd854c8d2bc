/**
 * The host side of one agent connection (PROTOCOL.md, "Control protocol, version 2"): the HELLO
 * exchange, processes with their stdin/stdout/stderr as Node streams under credit windows, signals,
 * requests, graceful shutdown. Any transport works: a unix socket that libkrun maps to vsock, or
 * runsc's stdio pipes.
 *
 * The guest is untrusted: a frame over the size limit, DATA beyond the window granted or a
 * malformed known frame ends the connection with a `ProtocolError`; memory per output stream is
 * bounded by the window plus the stream's high-water mark, whatever the guest sends.
 *
 * @since 0.1.0
 */
import { Readable, Writable } from "node:stream"
import {
  CONTROL_PORT,
  decodeGuestFrame,
  encodeCredit,
  encodeData,
  encodeEof,
  encodeHello,
  encodeMount,
  encodePing,
  encodeShutdown,
  encodeSignal,
  encodeStart,
  type GuestMessage,
  HOST_MAX_FRAME,
  type ProcessSpec,
  PROTOCOL_VERSION
} from "./Messages.js"
import * as Signals from "./Signals.js"
import { FrameDecoder, Stream, type StreamNumber } from "./Wire.js"

export { CONTROL_PORT }

/**
 * The agent's HELLO.
 *
 * @since 0.1.0
 * @category models
 */
export type Hello = Extract<GuestMessage, { _tag: "Hello" }>

/**
 * How a connection ended.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionEnd =
  /** The stream closed; `goodbye` is the status of the agent's GOODBYE, if it sent one. */
  | { readonly _tag: "Closed"; readonly goodbye: number | undefined }
  /** The guest broke the protocol; the connection was dropped. */
  | { readonly _tag: "ProtocolError"; readonly reason: string }
  /** The guest speaks another version (1: the JSON-lines init of krunbox 0.1). */
  | { readonly _tag: "VersionMismatch"; readonly version: number }

/**
 * How a process ended.
 *
 * @since 0.1.0
 * @category models
 */
export type ProcessEnd =
  /** `status` 0–255 (128+n when killed by signal n); `signal` is that n, or null. */
  | { readonly _tag: "Exited"; readonly status: number; readonly signal: number | null }
  /** It never ran: the agent names the step (`spec`, `stdio`, `rlimit`, `user`, `cwd`, `exec`). */
  | {
    readonly _tag: "StartFailed"
    readonly stage: string
    readonly errno: number
    readonly path: string
    readonly message: string
  }
  /** The connection ended before the agent reported the end. */
  | { readonly _tag: "Lost"; readonly end: ConnectionEnd }

/**
 * A request's answer: errno 0 means done.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestResult = Extract<GuestMessage, { _tag: "Result" }> | { readonly _tag: "Lost"; readonly end: ConnectionEnd }

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentClientOptions {
  /** Host name and version sent in the HELLO. */
  readonly agent?: string
  /** Bytes granted per output stream at a time. Default 256 KiB. */
  readonly window?: number
  /** The agent's diagnostics (LOG frames), at most 4 KiB each. */
  readonly onLog?: (message: string) => void
}

const E2BIG = 7

/** Largest DATA payload the host sends. */
const CHUNK = 64 * 1024
const DEFAULT_WINDOW = 256 * 1024

/** Stdin of a process: writes wait for the agent's credit. @internal */
class CreditedWritable extends Writable {
  #credit = 0
  #pending: { chunk: Buffer; offset: number; done: (error?: Error | null) => void } | undefined
  #closed = false

  constructor(private readonly send: (bytes: Buffer) => void, private readonly sendEof: () => void) {
    super({ highWaterMark: CHUNK, decodeStrings: true })
  }

  grant(bytes: number): void {
    this.#credit += bytes
    this.#pump()
  }

  /** The process is gone: drop what waits and whatever comes. */
  abandon(): void {
    this.#closed = true
    const pending = this.#pending
    this.#pending = undefined
    pending?.done()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.#closed) return done()
    this.#pending = { chunk, offset: 0, done }
    this.#pump()
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.#closed) this.sendEof()
    this.#closed = true
    done()
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.#closed) this.sendEof()
    this.abandon()
    done(error)
  }

  #pump(): void {
    const pending = this.#pending
    if (pending === undefined) return
    while (this.#credit > 0 && pending.offset < pending.chunk.length) {
      const size = Math.min(this.#credit, CHUNK, pending.chunk.length - pending.offset)
      this.send(pending.chunk.subarray(pending.offset, pending.offset + size))
      pending.offset += size
      this.#credit -= size
    }
    if (pending.offset >= pending.chunk.length) {
      this.#pending = undefined
      pending.done()
    }
  }
}

/** stdout/stderr of a process: credit is granted again as the reader consumes. @internal */
class CreditedReadable extends Readable {
  #granted = 0
  #received = 0
  #wantMore = true

  constructor(private readonly window: number, private readonly sendCredit: (bytes: number) => void) {
    super({ highWaterMark: CHUNK })
  }

  /** Grants the initial window. */
  open(): void {
    this.#topUp()
  }

  /** Returns false when the guest sent more than it was granted. */
  receive(bytes: Buffer): boolean {
    this.#received += bytes.length
    if (this.#received > this.#granted) return false
    this.#wantMore = this.push(bytes)
    if (this.#wantMore) this.#topUp()
    return true
  }

  override _read(): void {
    this.#wantMore = true
    this.#topUp()
  }

  #topUp(): void {
    if (this.destroyed || this.readableEnded) return
    const outstanding = this.#granted - this.#received
    if (outstanding > this.window / 2) return
    const grant = this.window - outstanding
    this.#granted += grant
    this.sendCredit(grant)
  }
}

/**
 * One process on the agent.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentProcess {
  readonly stdin: Writable | null
  readonly stdout: Readable | null
  readonly stderr: Readable | null
  /** The guest pid once STARTED arrived; a StartFailed or Lost end otherwise. */
  readonly started: Promise<{ readonly _tag: "Started"; readonly pid: number } | Exclude<ProcessEnd, { _tag: "Exited" }>>
  /** How it ended. Never rejects. Output may still arrive after an Exited end (see `outputDone`). */
  readonly ended: Promise<ProcessEnd>
  /** Resolves when every piped output stream ended (EOF, or the connection's end). */
  readonly outputDone: Promise<void>
  #resolveStarted!: (value: Awaited<AgentProcess["started"]>) => void
  #resolveEnded!: (value: ProcessEnd) => void
  #over = false
  readonly #stdin: CreditedWritable | null
  readonly #outputs: Map<StreamNumber, CreditedReadable>

  /** @internal */
  constructor(
    readonly id: number,
    spec: ProcessSpec,
    window: number,
    private readonly client: AgentClient,
    send: (frame: Buffer) => void
  ) {
    this.started = new Promise((resolve) => (this.#resolveStarted = resolve))
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve))
    this.#stdin = spec.stdin === "pipe"
      ? new CreditedWritable((bytes) => send(encodeData(id, Stream.Stdin, bytes)), () => send(encodeEof(id, Stream.Stdin)))
      : null
    this.stdin = this.#stdin
    this.#outputs = new Map()
    const output = (stream: StreamNumber, piped: boolean) => {
      if (!piped) return null
      const readable = new CreditedReadable(window, (bytes) => send(encodeCredit(id, stream, bytes)))
      this.#outputs.set(stream, readable)
      return readable
    }
    this.stdout = output(Stream.Stdout, (spec.stdout ?? "pipe") === "pipe")
    this.stderr = output(Stream.Stderr, (spec.stderr ?? "pipe") === "pipe")
    this.outputDone = Promise.all([...this.#outputs.values()].map((readable) =>
      new Promise<void>((resolve) => {
        readable.once("end", resolve)
        readable.once("close", resolve)
      })
    )).then(() => undefined)
  }

  /** @internal */
  openOutputs(): void {
    for (const readable of this.#outputs.values()) readable.open()
  }

  /**
   * Sends a signal to the process group (or the process only with `group: false`). Names are
   * mapped to Linux numbers; unknown names are ignored. No effect once the process ended.
   */
  signal(signal: string | number, options: { readonly group?: boolean } = {}): void {
    const number = Signals.toNumber(signal)
    if (number === undefined || this.#over) return
    this.client.sendRaw(encodeSignal(this.id, number, options.group ?? true))
  }

  /** @internal Returns false on a protocol violation. */
  handle(message: GuestMessage): boolean {
    switch (message._tag) {
      case "Started":
        this.#resolveStarted({ _tag: "Started", pid: message.pid })
        return true
      case "StartFailed": {
        const end: ProcessEnd = { _tag: "StartFailed", stage: message.stage, errno: message.errno, path: message.path, message: message.message }
        this.#finish(end)
        for (const readable of this.#outputs.values()) readable.push(null)
        return true
      }
      case "Exit":
        this.#finish({ _tag: "Exited", status: message.status, signal: message.signal })
        return true
      case "Data": {
        const readable = this.#outputs.get(message.stream)
        return readable !== undefined && readable.receive(message.bytes)
      }
      case "Eof":
        this.#outputs.get(message.stream)?.push(null)
        return true
      case "Credit":
        if (message.stream === Stream.Stdin) this.#stdin?.grant(message.bytes)
        return true
      default:
        return true
    }
  }

  /** @internal the connection ended */
  lose(end: ConnectionEnd): void {
    this.#finish({ _tag: "Lost", end })
    for (const readable of this.#outputs.values()) {
      if (!readable.readableEnded) readable.push(null)
    }
  }

  #finish(end: ProcessEnd): void {
    if (end._tag !== "Exited") this.#resolveStarted(end)
    if (this.#over) return
    this.#over = true
    this.#stdin?.abandon()
    this.#resolveEnded(end)
  }
}

/**
 * The host end of one agent connection.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentClient {
  /** The agent's HELLO; undefined when the connection ended before it. */
  readonly hello: Promise<Hello | undefined>
  /** How the connection ended. Never rejects. */
  readonly ended: Promise<ConnectionEnd>
  #resolveHello!: (hello: Hello | undefined) => void
  #resolveEnded!: (end: ConnectionEnd) => void
  #end: ConnectionEnd | undefined
  #goodbye: number | undefined
  #nextChannel = 1
  readonly #processes = new Map<number, AgentProcess>()
  readonly #requests = new Map<number, (result: RequestResult) => void>()
  readonly #pings = new Map<bigint, () => void>()
  readonly #decoder = new FrameDecoder(HOST_MAX_FRAME)
  readonly #window: number
  #nonce = 0n
  /** The guest's frame limit, known once its HELLO arrived; frames wait in `#queue` until then. */
  #peerMaxFrame: number | undefined
  #queue: Array<{ readonly frame: Buffer; readonly tooLarge?: () => void }> = []

  constructor(
    private readonly readable: Readable,
    private readonly writable: Writable,
    private readonly options: AgentClientOptions = {}
  ) {
    this.#window = options.window ?? DEFAULT_WINDOW
    this.hello = new Promise((resolve) => (this.#resolveHello = resolve))
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve))
    writable.on("error", () => {})
    readable.on("error", () => {})
    readable.on("data", (chunk: Buffer) => this.#receive(chunk))
    readable.once("end", () => this.#close({ _tag: "Closed", goodbye: this.#goodbye }))
    readable.once("close", () => this.#close({ _tag: "Closed", goodbye: this.#goodbye }))
    this.#write(encodeHello(options.agent ?? "@krunbox/guest/0.1.0", HOST_MAX_FRAME))
  }

  /** A client over a duplex stream (a socket). */
  static over(duplex: Readable & Writable, options?: AgentClientOptions): AgentClient {
    return new AgentClient(duplex, duplex, options)
  }

  /** The status of the agent's GOODBYE, once it arrived. */
  get goodbye(): number | undefined {
    return this.#goodbye
  }

  /** Starts a process. Frames are queued in order, so it may be called before `hello` settles. */
  start(spec: ProcessSpec): AgentProcess {
    const id = this.#nextChannel++
    const process = new AgentProcess(id, spec, this.#window, this, (frame) => this.sendRaw(frame))
    if (this.#end !== undefined) {
      process.lose(this.#end)
      return process
    }
    this.#processes.set(id, process)
    this.#send(encodeStart(id, spec), () =>
      process.handle({
        _tag: "StartFailed",
        channel: id,
        stage: "spec",
        errno: E2BIG,
        path: "",
        message: "the arguments and environment exceed what the agent accepts in one frame"
      }))
    process.openOutputs()
    void process.ended.then(() => void process.outputDone.then(() => this.#processes.delete(id)))
    return process
  }

  /** Mounts `source` (a virtio-fs tag) on `path` inside the guest (`mkdir -p` first). */
  mount(source: string, path: string, fstype = "virtiofs"): Promise<RequestResult> {
    return this.#request((id) => encodeMount(id, source, path, fstype))
  }

  /**
   * Asks the agent to end the VM: SIGTERM to every process, SIGKILL after `graceMs`, then power
   * off with `status` (default: the last process's status).
   */
  shutdown(graceMs: number, status?: number): void {
    this.sendRaw(encodeShutdown(graceMs, status))
  }

  /** Round trip to the agent; resolves with the milliseconds it took, or undefined if it ended. */
  ping(): Promise<number | undefined> {
    const nonce = ++this.#nonce
    const started = performance.now()
    if (this.#end !== undefined) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      this.#pings.set(nonce, () => resolve(this.#end === undefined ? performance.now() - started : undefined))
      this.sendRaw(encodePing(nonce))
    })
  }

  /** Ends the host's side of the stream (the agent powers off after its GOODBYE once it sees this). */
  close(): void {
    this.#queue = []
    this.writable.end()
  }

  /** Drops the transport at once. */
  destroy(): void {
    this.readable.destroy()
    this.writable.destroy()
    this.#close({ _tag: "Closed", goodbye: this.#goodbye })
  }

  /** @internal */
  sendRaw(frame: Buffer): void {
    this.#send(frame)
  }

  /** Sends in order, after the guest's HELLO; a frame over its limit calls `tooLarge` instead. */
  #send(frame: Buffer, tooLarge?: () => void): void {
    if (this.#peerMaxFrame === undefined) {
      this.#queue.push(tooLarge === undefined ? { frame } : { frame, tooLarge })
      return
    }
    if (frame.length > this.#peerMaxFrame) {
      tooLarge?.()
      return
    }
    this.#write(frame)
  }

  #write(frame: Buffer): void {
    if (this.#end !== undefined || this.writable.destroyed || this.writable.writableEnded) return
    this.writable.write(frame)
  }

  #request(encode: (id: number) => Buffer): Promise<RequestResult> {
    const id = this.#nextChannel++
    if (this.#end !== undefined) return Promise.resolve({ _tag: "Lost", end: this.#end })
    return new Promise((resolve) => {
      this.#requests.set(id, resolve)
      this.sendRaw(encode(id))
    })
  }

  #receive(chunk: Buffer): void {
    if (this.#end !== undefined) return
    const frames = this.#decoder.push(chunk)
    for (const frame of frames) {
      const message = decodeGuestFrame(frame)
      if (message === undefined) continue
      if (message._tag === "Malformed") return this.#fail(`frame type ${message.type}: ${message.reason}`)
      if (!this.#dispatch(message)) return
    }
    const problem = this.#decoder.problem
    if (problem?._tag === "VersionOneInit") return this.#fail(undefined, 1)
    if (problem?._tag === "FrameTooLarge") {
      return this.#fail(`a frame of ${problem.length} bytes exceeds the ${problem.maxFrame}-byte limit`)
    }
  }

  /** Returns false once the connection was failed. */
  #dispatch(message: GuestMessage): boolean {
    switch (message._tag) {
      case "Hello":
        if (message.version < PROTOCOL_VERSION) {
          this.#fail(undefined, message.version)
          return false
        }
        this.#peerMaxFrame = message.maxFrame
        for (const queued of this.#queue.splice(0)) this.#send(queued.frame, queued.tooLarge)
        this.#resolveHello(message)
        return true
      case "Goodbye":
        this.#goodbye = message.status
        // everything the agent sent came before its GOODBYE: closing our side lets it power off
        this.close()
        return true
      case "Log":
        this.options.onLog?.(message.message)
        return true
      case "Ping":
        this.#write(encodePing(message.nonce, true))
        return true
      case "Pong": {
        const done = this.#pings.get(message.nonce)
        this.#pings.delete(message.nonce)
        done?.()
        return true
      }
      case "Result": {
        const done = this.#requests.get(message.channel)
        this.#requests.delete(message.channel)
        done?.(message)
        return true
      }
      default: {
        const process = this.#processes.get(message.channel)
        if (process === undefined) return true
        if (!process.handle(message)) {
          this.#fail(`channel ${message.channel} sent more than its window`)
          return false
        }
        return true
      }
    }
  }

  #fail(reason: string | undefined, version?: number): void {
    const end: ConnectionEnd = version !== undefined
      ? { _tag: "VersionMismatch", version }
      : { _tag: "ProtocolError", reason: reason ?? "unknown" }
    this.#close(end)
    this.readable.destroy()
    this.writable.destroy()
  }

  #close(end: ConnectionEnd): void {
    if (this.#end !== undefined) return
    this.#end = end
    this.#resolveHello(undefined)
    for (const process of this.#processes.values()) process.lose(end)
    this.#processes.clear()
    for (const done of this.#requests.values()) done({ _tag: "Lost", end })
    this.#requests.clear()
    for (const done of this.#pings.values()) done()
    this.#pings.clear()
    this.#resolveEnded(end)
  }
}
