/**
 * The messages of the agent protocol, version 2, as typed values: encoders for what the host sends
 * and a decoder for what the guest sends (PROTOCOL.md, "Frame types").
 *
 * @since 0.1.0
 */
import { FieldWriter, FrameType, readFields, Stream, type StreamNumber, Tag, type Frame, encodeFrame } from "./Wire.js"

/**
 * The protocol version this codec speaks.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROTOCOL_VERSION = 2

/**
 * The vsock port the agent connects to on the host (CID 2) under libkrun.
 *
 * @since 0.1.0
 * @category constants
 */
export const CONTROL_PORT = 1100

/**
 * The largest frame the host accepts from a guest (header included).
 *
 * @since 0.1.0
 * @category constants
 */
export const HOST_MAX_FRAME = 1024 * 1024

/**
 * Where a process's stream goes inside the guest: `"null"` (`/dev/null`), `"pipe"` (to the host
 * through the protocol) or, for stderr only, `"stdout"` (the stdout pipe).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamMode = "null" | "pipe" | "stdout"

/**
 * A Linux rlimit for a process.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessRlimit {
  readonly resource: number
  readonly soft: bigint
  readonly hard: bigint
}

/**
 * What to run. Strings are sent as UTF-8; Buffers as they are (any byte but NUL).
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessSpec {
  /** `argv[0]` first; searched on the env's `PATH` when it has no `/`. */
  readonly argv: ReadonlyArray<string | Uint8Array>
  /** `NAME=value` entries: exactly the process's environment. */
  readonly env?: ReadonlyArray<string | Uint8Array>
  /** Default `/`. */
  readonly cwd?: string | Uint8Array
  readonly rlimits?: ReadonlyArray<ProcessRlimit>
  readonly uid?: number
  readonly gid?: number
  /** Default `"null"`. */
  readonly stdin?: "null" | "pipe"
  /** Default `"pipe"`. */
  readonly stdout?: "null" | "pipe"
  /** Default `"pipe"`. */
  readonly stderr?: StreamMode
}

const modeNumber = (mode: StreamMode): number => (mode === "null" ? 0 : mode === "pipe" ? 1 : 2)

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeHello = (agent: string, maxFrame: number): Buffer =>
  encodeFrame(
    FrameType.Hello,
    0,
    new FieldWriter().u32(Tag.Version, PROTOCOL_VERSION).bytes(Tag.Agent, agent).u32(Tag.MaxFrame, maxFrame).finish()
  )

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeStart = (channel: number, spec: ProcessSpec): Buffer => {
  const fields = new FieldWriter()
  for (const arg of spec.argv) fields.bytes(Tag.Arg, arg)
  for (const entry of spec.env ?? []) fields.bytes(Tag.Env, entry)
  if (spec.cwd !== undefined) fields.bytes(Tag.Cwd, spec.cwd)
  for (const limit of spec.rlimits ?? []) fields.rlimit(Tag.Rlimit, limit.resource, limit.soft, limit.hard)
  if (spec.uid !== undefined) fields.u32(Tag.Uid, spec.uid)
  if (spec.gid !== undefined) fields.u32(Tag.Gid, spec.gid)
  fields.u32(Tag.StdinMode, modeNumber(spec.stdin ?? "null"))
  fields.u32(Tag.StdoutMode, modeNumber(spec.stdout ?? "pipe"))
  fields.u32(Tag.StderrMode, modeNumber(spec.stderr ?? "pipe"))
  return encodeFrame(FrameType.Start, channel, fields.finish())
}

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeSignal = (channel: number, signal: number, group = true): Buffer =>
  encodeFrame(FrameType.Signal, channel, new FieldWriter().u32(Tag.Signal, signal).u32(Tag.Group, group ? 1 : 0).finish())

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeData = (channel: number, stream: StreamNumber, bytes: Uint8Array): Buffer =>
  encodeFrame(FrameType.Data, channel, bytes, stream)

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeEof = (channel: number, stream: StreamNumber): Buffer => encodeFrame(FrameType.Eof, channel, undefined, stream)

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeCredit = (channel: number, stream: StreamNumber, bytes: number): Buffer =>
  encodeFrame(FrameType.Credit, channel, new FieldWriter().u32(Tag.Bytes, bytes).finish(), stream)

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeShutdown = (graceMs: number, status?: number): Buffer => {
  const fields = new FieldWriter().u32(Tag.GraceMs, Math.max(0, Math.min(graceMs, 0xffff_ffff)))
  if (status !== undefined) fields.u32(Tag.Status, status)
  return encodeFrame(FrameType.Shutdown, 0, fields.finish())
}

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodeMount = (channel: number, source: string, path: string | Uint8Array, fstype = "virtiofs"): Buffer =>
  encodeFrame(
    FrameType.Mount,
    channel,
    new FieldWriter().bytes(Tag.Source, source).bytes(Tag.Path, path).bytes(Tag.FsType, fstype).finish()
  )

/**
 * @since 0.1.0
 * @category encoding
 */
export const encodePing = (nonce: bigint, pong = false): Buffer =>
  encodeFrame(pong ? FrameType.Pong : FrameType.Ping, 0, new FieldWriter().u64(Tag.Nonce, nonce).finish())

/**
 * A message from the guest. Fields a guest left out take the protocol's defaults.
 *
 * @since 0.1.0
 * @category models
 */
export type GuestMessage =
  | {
    readonly _tag: "Hello"
    readonly version: number
    readonly agent: string
    readonly capabilities: ReadonlyArray<string>
    readonly maxFrame: number
    readonly uptimeMs: number | undefined
  }
  | { readonly _tag: "Goodbye"; readonly status: number }
  | { readonly _tag: "Log"; readonly message: string }
  | { readonly _tag: "Ping"; readonly nonce: bigint }
  | { readonly _tag: "Pong"; readonly nonce: bigint }
  | { readonly _tag: "Started"; readonly channel: number; readonly pid: number }
  | {
    readonly _tag: "StartFailed"
    readonly channel: number
    readonly stage: string
    readonly errno: number
    readonly path: string
    readonly message: string
  }
  | { readonly _tag: "Exit"; readonly channel: number; readonly status: number; readonly signal: number | null }
  | { readonly _tag: "Data"; readonly channel: number; readonly stream: StreamNumber; readonly bytes: Buffer }
  | { readonly _tag: "Eof"; readonly channel: number; readonly stream: StreamNumber }
  | { readonly _tag: "Credit"; readonly channel: number; readonly stream: StreamNumber; readonly bytes: number }
  | {
    readonly _tag: "Result"
    readonly channel: number
    readonly errno: number
    readonly stage: string
    readonly path: string
    readonly message: string
  }

/**
 * What a frame could not be decoded as: a known type whose fields are malformed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Malformed {
  readonly _tag: "Malformed"
  readonly type: number
  readonly reason: string
}

/** Longest text kept from a guest's message fields. */
const MAX_TEXT = 4096

const text = (value: Buffer | undefined): string =>
  value === undefined ? "" : value.subarray(0, MAX_TEXT).toString("utf8")

const isStream = (n: number): n is StreamNumber => n === Stream.Stdin || n === Stream.Stdout || n === Stream.Stderr

/**
 * Decodes one guest frame: a message, `Malformed`, or undefined for a type this codec does not
 * know (skipped, as the protocol requires).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeGuestFrame = (frame: Frame): GuestMessage | Malformed | undefined => {
  const malformed = (reason: string): Malformed => ({ _tag: "Malformed", type: frame.type, reason })
  if (frame.type === FrameType.Data) {
    if (!isStream(frame.stream)) return malformed(`stream ${frame.stream}`)
    if (frame.payload.length === 0) return malformed("empty DATA")
    return { _tag: "Data", channel: frame.channel, stream: frame.stream, bytes: frame.payload }
  }
  const known = new Set<number>(Object.values(FrameType))
  if (!known.has(frame.type)) return undefined
  const fields = readFields(frame.payload)
  if (fields === undefined) return malformed("fields do not fill the payload")
  let problem: string | undefined
  const u32 = (tag: number, fallback: number): number => {
    const value = fields.get(tag)?.[0]
    if (value === undefined) return fallback
    if (value.length !== 4) {
      problem = `field ${tag} has ${value.length} bytes, not 4`
      return fallback
    }
    return value.readUInt32BE(0)
  }
  const u64 = (tag: number): bigint | undefined => {
    const value = fields.get(tag)?.[0]
    if (value === undefined) return undefined
    if (value.length !== 8) {
      problem = `field ${tag} has ${value.length} bytes, not 8`
      return undefined
    }
    return value.readBigUInt64BE(0)
  }
  const one = (tag: number) => fields.get(tag)?.[0]
  let message: GuestMessage | undefined
  switch (frame.type) {
    case FrameType.Hello: {
      const uptime = u64(Tag.UptimeMs)
      message = {
        _tag: "Hello",
        version: u32(Tag.Version, 0),
        agent: text(one(Tag.Agent)),
        capabilities: (fields.get(Tag.Capability) ?? []).slice(0, 64).map((value) => text(value)),
        maxFrame: u32(Tag.MaxFrame, 64 * 1024),
        uptimeMs: uptime === undefined ? undefined : Number(uptime)
      }
      break
    }
    case FrameType.Goodbye:
      message = { _tag: "Goodbye", status: u32(Tag.Status, 0) }
      break
    case FrameType.Log:
      message = { _tag: "Log", message: text(one(Tag.Message)) }
      break
    case FrameType.Ping:
    case FrameType.Pong: {
      const nonce = u64(Tag.Nonce) ?? 0n
      message = frame.type === FrameType.Ping ? { _tag: "Ping", nonce } : { _tag: "Pong", nonce }
      break
    }
    case FrameType.Started:
      message = { _tag: "Started", channel: frame.channel, pid: u32(Tag.Pid, 0) }
      break
    case FrameType.StartFailed:
      message = {
        _tag: "StartFailed",
        channel: frame.channel,
        stage: text(one(Tag.Stage)),
        errno: u32(Tag.Errno, 0),
        path: text(one(Tag.Path)),
        message: text(one(Tag.Message))
      }
      break
    case FrameType.Exit: {
      const signal = u32(Tag.Signal, 0)
      message = { _tag: "Exit", channel: frame.channel, status: u32(Tag.Status, 0) & 0xff, signal: signal === 0 ? null : signal }
      break
    }
    case FrameType.Eof:
      if (!isStream(frame.stream)) return malformed(`stream ${frame.stream}`)
      message = { _tag: "Eof", channel: frame.channel, stream: frame.stream }
      break
    case FrameType.Credit:
      if (!isStream(frame.stream)) return malformed(`stream ${frame.stream}`)
      message = { _tag: "Credit", channel: frame.channel, stream: frame.stream, bytes: u32(Tag.Bytes, 0) }
      break
    case FrameType.Result:
      message = {
        _tag: "Result",
        channel: frame.channel,
        errno: u32(Tag.Errno, 0),
        stage: text(one(Tag.Stage)),
        path: text(one(Tag.Path)),
        message: text(one(Tag.Message))
      }
      break
    default:
      // a host-to-guest type arriving from the guest: nothing the host acts on
      return undefined
  }
  return problem === undefined ? message : malformed(problem)
}
