/**
 * The binary layer of the agent protocol, version 2 (PROTOCOL.md, "Frames"): length-prefixed
 * frames with a 12-byte header, and the tag-length-value fields every non-DATA payload is made of.
 * No I/O here: any transport (a vsock-mapped unix socket, runsc's stdio pipes, a test's buffer)
 * feeds {@link FrameDecoder} and writes what {@link encodeFrame} returns.
 *
 * Everything decoded here comes from a guest, which is hostile: decoding never throws, never holds
 * more than one frame of at most `maxFrame` bytes, and reports what it refused as a value.
 *
 * @since 0.1.0
 */

/**
 * Bytes of a frame header: `u32 length`, `u8 type`, `u8 stream`, `u16 flags`, `u32 channel`.
 *
 * @since 0.1.0
 * @category constants
 */
export const HEADER_BYTES = 12

/**
 * The largest frame (header included) a peer may send before the other side's HELLO told it more.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_FRAME = 64 * 1024

/**
 * Frame types (PROTOCOL.md, "Frame types").
 *
 * @since 0.1.0
 * @category constants
 */
export const FrameType = {
  Hello: 0x01,
  Shutdown: 0x02,
  Goodbye: 0x03,
  Log: 0x04,
  Ping: 0x05,
  Pong: 0x06,
  Start: 0x10,
  Started: 0x11,
  StartFailed: 0x12,
  Signal: 0x13,
  Exit: 0x14,
  Data: 0x20,
  Eof: 0x21,
  Credit: 0x22,
  Mount: 0x30,
  Result: 0x3f
} as const

/**
 * The stream a DATA, EOF or CREDIT frame is about.
 *
 * @since 0.1.0
 * @category constants
 */
export const Stream = { Stdin: 0, Stdout: 1, Stderr: 2 } as const

/**
 * @since 0.1.0
 * @category models
 */
export type StreamNumber = (typeof Stream)[keyof typeof Stream]

/**
 * Field tags (PROTOCOL.md, "Fields").
 *
 * @since 0.1.0
 * @category constants
 */
export const Tag = {
  Version: 1,
  Agent: 2,
  Capability: 3,
  MaxFrame: 4,
  UptimeMs: 5,
  Arg: 16,
  Env: 17,
  Cwd: 18,
  Rlimit: 19,
  Uid: 20,
  Gid: 21,
  StdinMode: 22,
  StdoutMode: 23,
  StderrMode: 24,
  Pid: 32,
  Status: 33,
  Signal: 34,
  Stage: 35,
  Errno: 36,
  Path: 37,
  Message: 38,
  GraceMs: 39,
  Group: 40,
  Bytes: 41,
  Source: 42,
  FsType: 43,
  Nonce: 44
} as const

/**
 * One decoded frame. `payload` is a view into the decoder's memory: copy it to keep it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Frame {
  readonly type: number
  readonly stream: number
  readonly channel: number
  readonly payload: Buffer
}

/**
 * Encodes one frame.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeFrame = (type: number, channel: number, payload: Uint8Array = EMPTY, stream = 0): Buffer => {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  frame.writeUInt32BE(8 + payload.length, 0)
  frame.writeUInt8(type, 4)
  frame.writeUInt8(stream, 5)
  frame.writeUInt16BE(0, 6)
  frame.writeUInt32BE(channel >>> 0, 8)
  frame.set(payload, HEADER_BYTES)
  return frame
}

const EMPTY = new Uint8Array(0)

/**
 * Why a decoder stopped: it refuses everything after the first problem.
 *
 * @since 0.1.0
 * @category models
 */
export type DecodeProblem =
  /** A frame announced more bytes than the receiver accepts (or fewer than a header). */
  | { readonly _tag: "FrameTooLarge"; readonly length: number; readonly maxFrame: number }
  /** The stream starts with `{`: a version-1 init speaking JSON lines. */
  | { readonly _tag: "VersionOneInit" }

/**
 * Splits a byte stream into frames, holding at most one incomplete frame.
 *
 * @since 0.1.0
 * @category decoding
 */
export class FrameDecoder {
  #chunks: Array<Buffer> = []
  #buffered = 0
  #problem: DecodeProblem | undefined
  #first = true
  /** The largest frame accepted, header included; may grow after the peer's HELLO. */
  maxFrame: number

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.maxFrame = maxFrame
  }

  /** Set once the stream broke the framing; every later push returns nothing. */
  get problem(): DecodeProblem | undefined {
    return this.#problem
  }

  /** Feeds bytes; returns every frame they complete, in order. */
  push(chunk: Buffer): ReadonlyArray<Frame> {
    if (this.#problem !== undefined || chunk.length === 0) return []
    if (this.#first) {
      this.#first = false
      if (chunk[0] === 0x7b) {
        this.#problem = { _tag: "VersionOneInit" }
        return []
      }
    }
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    const frames: Array<Frame> = []
    while (this.#buffered >= 4) {
      const length = this.#peekLength()
      if (length < 8 || length + 4 > this.maxFrame) {
        this.#problem = { _tag: "FrameTooLarge", length: length + 4, maxFrame: this.maxFrame }
        this.#chunks = []
        this.#buffered = 0
        return frames
      }
      if (this.#buffered < length + 4) break
      const bytes = this.#take(length + 4)
      frames.push({
        type: bytes.readUInt8(4),
        stream: bytes.readUInt8(5),
        channel: bytes.readUInt32BE(8),
        payload: bytes.subarray(HEADER_BYTES)
      })
    }
    return frames
  }

  #peekLength(): number {
    const first = this.#chunks[0]!
    if (first.length >= 4) return first.readUInt32BE(0)
    return this.#take(4, true).readUInt32BE(0)
  }

  /** Removes (or with peek, copies) the first n buffered bytes as one Buffer. */
  #take(n: number, peek = false): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (!peek) {
        if (first.length === n) this.#chunks.shift()
        else this.#chunks[0] = first.subarray(n)
        this.#buffered -= n
      }
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    let index = 0
    while (filled < n) {
      const chunk = this.#chunks[index]!
      const count = Math.min(chunk.length, n - filled)
      chunk.copy(out, filled, 0, count)
      filled += count
      if (!peek) {
        if (count === chunk.length) {
          this.#chunks.shift()
          continue
        }
        this.#chunks[0] = chunk.subarray(count)
      }
      index++
    }
    if (!peek) this.#buffered -= n
    return out
  }
}

/**
 * Builds a field payload.
 *
 * @since 0.1.0
 * @category encoding
 */
export class FieldWriter {
  #parts: Array<Buffer> = []

  bytes(tag: number, value: Uint8Array | string): this {
    const body = typeof value === "string" ? Buffer.from(value, "utf8") : value
    const head = Buffer.allocUnsafe(6)
    head.writeUInt16BE(tag, 0)
    head.writeUInt32BE(body.length, 2)
    this.#parts.push(head, Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    return this
  }

  u32(tag: number, value: number): this {
    const body = Buffer.allocUnsafe(4)
    body.writeUInt32BE(value >>> 0, 0)
    return this.bytes(tag, body)
  }

  u64(tag: number, value: bigint): this {
    const body = Buffer.allocUnsafe(8)
    body.writeBigUInt64BE(BigInt.asUintN(64, value), 0)
    return this.bytes(tag, body)
  }

  rlimit(tag: number, resource: number, soft: bigint, hard: bigint): this {
    const body = Buffer.allocUnsafe(20)
    body.writeUInt32BE(resource >>> 0, 0)
    body.writeBigUInt64BE(BigInt.asUintN(64, soft), 4)
    body.writeBigUInt64BE(BigInt.asUintN(64, hard), 12)
    return this.bytes(tag, body)
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts)
  }
}

/**
 * The fields of one payload by tag, each tag's values in order. Undefined when the payload does
 * not split into whole fields.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readFields = (payload: Buffer): ReadonlyMap<number, ReadonlyArray<Buffer>> | undefined => {
  const fields = new Map<number, Array<Buffer>>()
  let offset = 0
  while (offset < payload.length) {
    if (payload.length - offset < 6) return undefined
    const tag = payload.readUInt16BE(offset)
    const length = payload.readUInt32BE(offset + 2)
    offset += 6
    if (length > payload.length - offset) return undefined
    const value = payload.subarray(offset, offset + length)
    offset += length
    const list = fields.get(tag)
    if (list === undefined) fields.set(tag, [value])
    else list.push(value)
  }
  return fields
}
