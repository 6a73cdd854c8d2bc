import { describe, expect, it } from "vitest"
import { ControlProtocol } from "../src/index.js"

const { decodeLine, LineDecoder, MAX_LINE_CHARS } = ControlProtocol

describe("ControlProtocol.decodeLine", () => {
  it("decodes the three version-1 messages the init sends", () => {
    expect(decodeLine('{"v":1,"type":"ready","agent":"krunbox-init/0.1.0","uptime_ms":412}')).toEqual({
      v: 1,
      type: "ready",
      agent: "krunbox-init/0.1.0",
      uptime_ms: 412
    })
    expect(decodeLine('{"v":1,"type":"error","stage":"exec","errno":2,"message":"nope"}')).toMatchObject({ type: "error", errno: 2 })
    expect(decodeLine('{"v":1,"type":"exit","status":127,"signal":null}')).toMatchObject({ type: "exit", status: 127, signal: null })
  })

  it.each([
    ["another version", '{"v":2,"type":"ready"}'],
    ["an unknown type", '{"v":1,"type":"stdout"}'],
    ["no version", '{"type":"exit","status":0}'],
    ["not JSON", "ready"],
    ["a JSON array", "[1]"],
    ["JSON null", "null"],
    ["an empty line", ""]
  ])("ignores %s", (_name, line) => {
    expect(decodeLine(line)).toBeUndefined()
  })
})

describe("ControlProtocol.LineDecoder", () => {
  it("joins a message split across chunks and decodes several in one chunk", () => {
    const decoder = new LineDecoder()
    expect(decoder.push('{"v":1,"type":"re')).toEqual([])
    const messages = decoder.push('ady"}\n{"v":1,"type":"exit","status":0,"signal":null}\n')
    expect(messages.map((m) => m.type)).toEqual(["ready", "exit"])
  })

  it("drops an unfinished line longer than MAX_LINE_CHARS and carries on with the next", () => {
    const decoder = new LineDecoder()
    decoder.push("x".repeat(MAX_LINE_CHARS + 1))
    expect(decoder.push('\n{"v":1,"type":"ready"}\n')).toEqual([{ v: 1, type: "ready" }])
  })
})
