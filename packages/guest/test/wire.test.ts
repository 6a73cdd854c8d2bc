/**
 * The binary layer of protocol v2 (src/Wire.ts) and the typed messages (src/Messages.ts): exact
 * bytes, frames split anywhere, limits, and fuzzing of everything that reads guest bytes
 * (fast-check; the seed is printed, replay with FC_SEED=<seed>).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeGuestFrame, encodeStart } from "../src/Messages.js"
import * as Signals from "../src/Signals.js"
import { encodeFrame, FieldWriter, type Frame, FrameDecoder, FrameType, readFields, Tag } from "../src/Wire.js"

const seed = process.env["FC_SEED"] === undefined ? Date.now() % 2 ** 31 : Number(process.env["FC_SEED"])
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

const decodeAll = (decoder: FrameDecoder, chunks: ReadonlyArray<Buffer>): Array<Frame> =>
  chunks.flatMap((chunk) => decoder.push(chunk).map((frame) => ({ ...frame, payload: Buffer.from(frame.payload) })))

describe("frames", () => {
  it("lays out the 12-byte header big-endian, length counting everything after itself", () => {
    const frame = encodeFrame(FrameType.Data, 0x01020304, Buffer.from("hi"), 2)
    expect([...frame]).toEqual([0, 0, 0, 10, 0x20, 2, 0, 0, 1, 2, 3, 4, 0x68, 0x69])
  })

  it("decodes the same frames however the stream is split, down to single bytes", () => {
    const frames = [
      encodeFrame(FrameType.Hello, 0, new FieldWriter().u32(Tag.Version, 2).finish()),
      encodeFrame(FrameType.Data, 7, Buffer.alloc(300, 0xab), 1),
      encodeFrame(FrameType.Eof, 7, undefined, 1)
    ]
    const whole = Buffer.concat(frames)
    const expected = decodeAll(new FrameDecoder(), [whole])
    expect(expected.map((f) => [f.type, f.channel, f.stream, f.payload.length])).toEqual([[1, 0, 0, 10], [0x20, 7, 1, 300], [0x21, 7, 1, 0]])
    for (let cut = 1; cut < whole.length; cut++) {
      expect(decodeAll(new FrameDecoder(), [whole.subarray(0, cut), whole.subarray(cut)])).toEqual(expected)
    }
    expect(decodeAll(new FrameDecoder(), [...whole].map((byte) => Buffer.from([byte])))).toEqual(expected)
  })

  it("refuses a frame longer than the limit, or shorter than a header, and everything after it", () => {
    const decoder = new FrameDecoder(100)
    expect(decoder.push(encodeFrame(FrameType.Data, 1, Buffer.alloc(89), 1))).toHaveLength(0)
    expect(decoder.problem).toEqual({ _tag: "FrameTooLarge", length: 101, maxFrame: 100 })
    expect(decoder.push(encodeFrame(FrameType.Eof, 1))).toEqual([])
    const short = new FrameDecoder()
    short.push(Buffer.from([0, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0]))
    expect(short.problem?._tag).toBe("FrameTooLarge")
  })

  it("recognises a version-1 init by its first byte", () => {
    const decoder = new FrameDecoder()
    decoder.push(Buffer.from('{"v":1,"type":"ready"}\n'))
    expect(decoder.problem).toEqual({ _tag: "VersionOneInit" })
  })
})

describe("fields", () => {
  it("round-trip, repeated tags in order, unknown tags kept for the caller to skip", () => {
    const payload = new FieldWriter().bytes(Tag.Arg, "a").bytes(Tag.Arg, Buffer.from([0xff, 0x00, 0x01])).u32(999, 5)
      .u64(Tag.UptimeMs, 2n ** 40n).rlimit(Tag.Rlimit, 7, 10n, 2n ** 64n - 1n).finish()
    const fields = readFields(payload)!
    expect(fields.get(Tag.Arg)?.map((v) => [...v])).toEqual([[0x61], [0xff, 0x00, 0x01]])
    expect(fields.get(999)?.[0]?.readUInt32BE(0)).toBe(5)
    expect(fields.get(Tag.UptimeMs)?.[0]?.readBigUInt64BE(0)).toBe(2n ** 40n)
    const limit = fields.get(Tag.Rlimit)![0]!
    expect([limit.readUInt32BE(0), limit.readBigUInt64BE(4), limit.readBigUInt64BE(12)]).toEqual([7, 10n, 2n ** 64n - 1n])
  })

  it("a payload that does not split into whole fields is undefined", () => {
    const payload = new FieldWriter().bytes(Tag.Arg, "abc").finish()
    expect(readFields(payload.subarray(0, payload.length - 1))).toBeUndefined()
    expect(readFields(Buffer.from([0, 1, 0]))).toBeUndefined()
    expect(readFields(Buffer.alloc(0))?.size).toBe(0)
  })

  it("START carries argv, env and cwd as raw bytes, so quotes, newlines and UTF-8 need no escaping", () => {
    const argv = ["sh", "-c", 'echo "hi"\n\ttab ünïcødé 😀', ""]
    const frame = new FrameDecoder(1 << 20).push(encodeStart(3, { argv, env: ["A=\"q\"\nb"], cwd: "/tmp/x y", stdin: "pipe" }))[0]!
    const fields = readFields(frame.payload)!
    expect(fields.get(Tag.Arg)?.map((v) => v.toString("utf8"))).toEqual(argv)
    expect(fields.get(Tag.Env)?.[0]?.toString("utf8")).toBe("A=\"q\"\nb")
    expect(fields.get(Tag.Cwd)?.[0]?.toString("utf8")).toBe("/tmp/x y")
    expect(fields.get(Tag.StdinMode)?.[0]?.readUInt32BE(0)).toBe(1)
  })
})

describe("guest messages", () => {
  const frame = (type: number, fields: (w: FieldWriter) => void, channel = 1, stream = 0): Frame => {
    const w = new FieldWriter()
    fields(w)
    return { type, channel, stream, payload: w.finish() }
  }

  it("decodes EXIT with signal 0 as null and keeps the status byte", () => {
    expect(decodeGuestFrame(frame(FrameType.Exit, (w) => w.u32(Tag.Status, 137).u32(Tag.Signal, 9)))).toEqual({ _tag: "Exit", channel: 1, status: 137, signal: 9 })
    expect(decodeGuestFrame(frame(FrameType.Exit, (w) => w.u32(Tag.Status, 3).u32(Tag.Signal, 0)))).toMatchObject({ signal: null })
  })

  it("skips unknown types and unknown fields; a known field of the wrong size is Malformed", () => {
    expect(decodeGuestFrame(frame(0x7e, () => {}))).toBeUndefined()
    expect(decodeGuestFrame(frame(FrameType.Started, (w) => w.u32(Tag.Pid, 42).bytes(500, "future")))).toEqual({ _tag: "Started", channel: 1, pid: 42 })
    expect(decodeGuestFrame(frame(FrameType.Started, (w) => w.bytes(Tag.Pid, "toolong")))).toMatchObject({ _tag: "Malformed" })
    expect(decodeGuestFrame({ type: FrameType.Data, channel: 1, stream: 9, payload: Buffer.from("x") })).toMatchObject({ _tag: "Malformed" })
  })

  it("maps signal names to Linux numbers whatever the host's own numbering", () => {
    expect([Signals.toNumber("SIGTERM"), Signals.toNumber("usr1"), Signals.toNumber("KILL"), Signals.toNumber(28)]).toEqual([15, 10, 9, 28])
    expect(Signals.toNumber("SIGNOPE")).toBeUndefined()
    expect([Signals.toName(15), Signals.toName(40)]).toEqual(["SIGTERM", "SIG40"])
  })
})

describe("fuzzing what a guest can send", () => {
  const options = { numRuns: 2_000, seed }

  it("the decoder never throws and never holds more than one frame's bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const decoder = new FrameDecoder(256)
        let total = 0
        for (const chunk of chunks) {
          for (const frame of decoder.push(Buffer.from(chunk))) {
            expect(frame.payload.length + 12).toBeLessThanOrEqual(256)
            total++
            decodeGuestFrame(frame)
          }
        }
        expect(total).toBeGreaterThanOrEqual(0)
      }),
      options
    )
  })

  it("structured frames with random fields decode to a message, Malformed or nothing, never an exception", () => {
    const field = fc.record({ tag: fc.integer({ min: 0, max: 64 }), value: fc.uint8Array({ maxLength: 24 }) })
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }), fc.array(field, { maxLength: 8 }), (type, stream, fields) => {
        const w = new FieldWriter()
        for (const f of fields) w.bytes(f.tag, f.value)
        const message = decodeGuestFrame({ type, stream, channel: 1, payload: w.finish() })
        expect(message === undefined || typeof message._tag === "string").toBe(true)
      }),
      options
    )
  })
})
