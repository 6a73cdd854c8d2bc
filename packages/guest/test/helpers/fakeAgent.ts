/**
 * A scripted stand-in for the guest side of one connection, for the host codec's tests: it decodes
 * what the host sends and lets a test write any frame back, well-formed or not.
 */
import { PassThrough } from "node:stream"
import { AgentClient } from "../../src/AgentClient.js"
import { encodeFrame, FieldWriter, type Frame, FrameDecoder, FrameType, readFields, Tag } from "../../src/Wire.js"

export interface FakeAgent {
  readonly client: AgentClient
  /** Frames the host sent, in order. */
  readonly received: Array<Frame>
  /** Writes raw bytes as the guest. */
  write(bytes: Buffer): void
  /** Sends the guest's HELLO (version 2 by default). */
  hello(options?: { readonly version?: number; readonly maxFrame?: number }): void
  frame(type: number, channel: number, fields?: (writer: FieldWriter) => void, stream?: number): void
  data(channel: number, stream: number, bytes: Buffer): void
  /** Ends the guest's side of the stream. */
  end(): void
  /** Waits until a frame of this type (and channel) arrived from the host. */
  next(type: number, channel?: number): Promise<Frame>
  /** The u32 value of a tag in a received frame. */
  u32(frame: Frame, tag: number): number | undefined
}

export const fakeAgent = (window?: number): FakeAgent => {
  const toHost = new PassThrough()
  const toGuest = new PassThrough()
  const client = new AgentClient(toHost, toGuest, window === undefined ? {} : { window })
  const decoder = new FrameDecoder(64 * 1024 * 1024)
  const received: Array<Frame> = []
  const waiters: Array<() => void> = []
  toGuest.on("data", (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) received.push({ ...frame, payload: Buffer.from(frame.payload) })
    for (const waiter of waiters.splice(0)) waiter()
  })
  const write = (bytes: Buffer) => {
    if (!toHost.destroyed && !toHost.writableEnded) toHost.write(bytes)
  }
  const frame = (type: number, channel: number, fields?: (writer: FieldWriter) => void, stream = 0) => {
    const writer = new FieldWriter()
    fields?.(writer)
    write(encodeFrame(type, channel, writer.finish(), stream))
  }
  return {
    client,
    received,
    write,
    hello: (options = {}) =>
      frame(FrameType.Hello, 0, (w) =>
        w.u32(Tag.Version, options.version ?? 2).bytes(Tag.Agent, "fake-agent/1").bytes(Tag.Capability, "process")
          .u32(Tag.MaxFrame, options.maxFrame ?? 16 * 1024 * 1024)),
    frame,
    data: (channel, stream, bytes) => write(encodeFrame(FrameType.Data, channel, bytes, stream)),
    end: () => toHost.end(),
    next: async (type, channel) => {
      let seen = 0
      for (;;) {
        const found = received.slice(seen).find((f) => f.type === type && (channel === undefined || f.channel === channel))
        if (found !== undefined) return found
        seen = 0
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
    u32: (frame, tag) => {
      const value = readFields(frame.payload)?.get(tag)?.[0]
      return value === undefined ? undefined : value.readUInt32BE(0)
    }
  }
}
