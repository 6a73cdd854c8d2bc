/**
 * The host side of a connection (src/AgentClient.ts) against a scripted guest: the order of
 * frames, the credit windows in both directions, and what a misbehaving guest gets.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { FrameType, readFields, Stream, Tag } from "../src/Wire.js"
import { fakeAgent } from "./helpers/fakeAgent.js"

const seed = process.env["FC_SEED"] === undefined ? Date.now() % 2 ** 31 : Number(process.env["FC_SEED"])
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe("AgentClient", () => {
  it("says HELLO at once, with version 2 and its frame limit", async () => {
    const agent = fakeAgent()
    const hello = await agent.next(FrameType.Hello)
    expect(agent.received[0]).toBe(hello)
    expect(agent.u32(hello, Tag.Version)).toBe(2)
    expect(agent.u32(hello, Tag.MaxFrame)).toBe(1024 * 1024)
  })

  it("holds START until the guest's HELLO, then sends it with the initial output windows", async () => {
    const agent = fakeAgent(1000)
    const process = agent.client.start({ argv: ["/bin/true"], env: ["A=1"], cwd: "/w", rlimits: [{ resource: 7, soft: 1n, hard: 2n }], uid: 5, gid: 6 })
    await tick()
    expect(agent.received.map((f) => f.type)).toEqual([FrameType.Hello])
    agent.hello()
    const start = await agent.next(FrameType.Start, process.id)
    const fields = readFields(start.payload)!
    expect(fields.get(Tag.Arg)?.map(String)).toEqual(["/bin/true"])
    expect(fields.get(Tag.Env)?.map(String)).toEqual(["A=1"])
    expect([Tag.StdinMode, Tag.StdoutMode, Tag.StderrMode, Tag.Uid, Tag.Gid].map((tag) => fields.get(tag)?.[0]?.readUInt32BE(0))).toEqual([0, 1, 1, 5, 6])
    const credits = agent.received.filter((f) => f.type === FrameType.Credit)
    expect(credits.map((f) => [f.stream, agent.u32(f, Tag.Bytes)])).toEqual([[1, 1000], [2, 1000]])
    expect(process.stdin).toBeNull()
  })

  it("a START larger than the guest accepts fails locally as StartFailed at stage spec (E2BIG)", async () => {
    const agent = fakeAgent()
    agent.hello({ maxFrame: 1024 })
    const process = agent.client.start({ argv: ["sh", "-c", "x".repeat(2048)] })
    expect(await process.ended).toMatchObject({ _tag: "StartFailed", stage: "spec", errno: 7 })
    await tick()
    expect(agent.received.some((f) => f.type === FrameType.Start)).toBe(false)
  })

  it("stdout is granted again only as its reader consumes: a paused reader holds at most window + high-water mark", async () => {
    const agent = fakeAgent(4096)
    agent.hello()
    const process = agent.client.start({ argv: ["cat"] })
    await agent.next(FrameType.Credit, process.id)
    process.stdout!.pause()
    // play a guest that sends everything it is granted, until no credit is left
    let granted = 0
    let sent = 0
    for (let round = 0; round < 100; round++) {
      granted = agent.received.filter((f) => f.type === FrameType.Credit && f.stream === Stream.Stdout)
        .reduce((sum, f) => sum + agent.u32(f, Tag.Bytes)!, 0)
      if (granted === sent) break
      agent.data(process.id, Stream.Stdout, Buffer.alloc(granted - sent, 1))
      sent = granted
      await tick()
    }
    expect(sent).toBe(granted)
    expect(sent).toBeLessThanOrEqual(64 * 1024 + 4096)
    expect(process.stdout!.readableLength).toBe(sent)
    // reading makes room: credit flows again
    let read = 0
    process.stdout!.on("data", (chunk: Buffer) => (read += chunk.length))
    process.stdout!.resume()
    await tick()
    await tick()
    expect(read).toBe(sent)
    const after = agent.received.filter((f) => f.type === FrameType.Credit && f.stream === Stream.Stdout)
      .reduce((sum, f) => sum + agent.u32(f, Tag.Bytes)!, 0)
    expect(after).toBeGreaterThan(sent)
  })

  it("DATA beyond the window ends the connection with a ProtocolError and loses the processes", async () => {
    const agent = fakeAgent(100)
    agent.hello()
    const process = agent.client.start({ argv: ["cat"] })
    await agent.next(FrameType.Credit, process.id)
    agent.data(process.id, Stream.Stdout, Buffer.alloc(101))
    expect(await agent.client.ended).toMatchObject({ _tag: "ProtocolError" })
    expect(await process.ended).toMatchObject({ _tag: "Lost", end: { _tag: "ProtocolError" } })
  })

  it("stdin writes wait for the guest's credit and end with EOF", async () => {
    const agent = fakeAgent()
    agent.hello()
    const process = agent.client.start({ argv: ["cat"], stdin: "pipe" })
    await agent.next(FrameType.Start, process.id)
    let written = false
    process.stdin!.write(Buffer.alloc(10, 7), () => (written = true))
    await tick()
    expect(written).toBe(false)
    expect(agent.received.some((f) => f.type === FrameType.Data)).toBe(false)
    agent.frame(FrameType.Credit, process.id, (w) => w.u32(Tag.Bytes, 4), Stream.Stdin)
    await tick()
    expect(agent.received.filter((f) => f.type === FrameType.Data).map((f) => f.payload.length)).toEqual([4])
    expect(written).toBe(false)
    agent.frame(FrameType.Credit, process.id, (w) => w.u32(Tag.Bytes, 100), Stream.Stdin)
    await tick()
    expect(written).toBe(true)
    process.stdin!.end()
    const eof = await agent.next(FrameType.Eof, process.id)
    expect(eof.stream).toBe(Stream.Stdin)
  })

  it("EXIT resolves `ended`; output that follows still arrives, `outputDone` waits for both EOFs", async () => {
    const agent = fakeAgent()
    agent.hello()
    const process = agent.client.start({ argv: ["sh"] })
    await agent.next(FrameType.Credit, process.id)
    agent.frame(FrameType.Started, process.id, (w) => w.u32(Tag.Pid, 42))
    expect(await process.started).toEqual({ _tag: "Started", pid: 42 })
    agent.frame(FrameType.Exit, process.id, (w) => w.u32(Tag.Status, 143).u32(Tag.Signal, 15))
    expect(await process.ended).toEqual({ _tag: "Exited", status: 143, signal: 15 })
    const out: Array<string> = []
    process.stdout!.on("data", (chunk: Buffer) => out.push(chunk.toString()))
    process.stderr!.resume()
    agent.data(process.id, Stream.Stdout, Buffer.from("late"))
    agent.frame(FrameType.Eof, process.id, undefined, Stream.Stdout)
    agent.frame(FrameType.Eof, process.id, undefined, Stream.Stderr)
    await process.outputDone
    expect(out).toEqual(["late"])
  })

  it("START_FAILED ends the process and its streams without an EXIT", async () => {
    const agent = fakeAgent()
    agent.hello()
    const process = agent.client.start({ argv: ["nope"] })
    agent.frame(FrameType.StartFailed, process.id, (w) => w.bytes(Tag.Stage, "exec").u32(Tag.Errno, 2).bytes(Tag.Path, "nope").bytes(Tag.Message, "cannot execute nope"))
    const end = { _tag: "StartFailed", stage: "exec", errno: 2, path: "nope", message: "cannot execute nope" }
    expect(await process.started).toEqual(end)
    expect(await process.ended).toEqual(end)
    process.stdout!.resume()
    process.stderr!.resume()
    await process.outputDone
  })

  it("signals go to the process group by Linux number; unknown names are ignored", async () => {
    const agent = fakeAgent()
    agent.hello()
    const process = agent.client.start({ argv: ["sleep", "9"] })
    process.signal("SIGTERM")
    process.signal("SIGUSR1", { group: false })
    process.signal("SIGNOTHING")
    await agent.next(FrameType.Signal, process.id)
    await tick()
    const signals = agent.received.filter((f) => f.type === FrameType.Signal)
    expect(signals.map((f) => [agent.u32(f, Tag.Signal), agent.u32(f, Tag.Group)])).toEqual([[15, 1], [10, 0]])
  })

  it("GOODBYE makes the host close its side; the end says Closed with the status", async () => {
    const agent = fakeAgent()
    agent.hello()
    agent.client.shutdown(500, 3)
    const shutdown = await agent.next(FrameType.Shutdown)
    expect([agent.u32(shutdown, Tag.GraceMs), agent.u32(shutdown, Tag.Status)]).toEqual([500, 3])
    agent.frame(FrameType.Goodbye, 0, (w) => w.u32(Tag.Status, 3))
    agent.end()
    expect(await agent.client.ended).toEqual({ _tag: "Closed", goodbye: 3 })
  })

  it("a version-1 init (JSON lines) or a HELLO below version 2 is a VersionMismatch", async () => {
    const v1 = fakeAgent()
    v1.write(Buffer.from('{"v":1,"type":"ready","agent":"krunbox-init/0.1.0","uptime_ms":1}\n'))
    expect(await v1.client.ended).toEqual({ _tag: "VersionMismatch", version: 1 })
    expect(await v1.client.hello).toBeUndefined()
    const old = fakeAgent()
    old.hello({ version: 1 })
    expect(await old.client.ended).toEqual({ _tag: "VersionMismatch", version: 1 })
  })

  it("requests get their RESULT; pings their PONG; both settle when the connection ends", async () => {
    const agent = fakeAgent()
    agent.hello()
    const mounted = agent.client.mount("krunbox0", "/work")
    const mount = await agent.next(FrameType.Mount)
    expect(readFields(mount.payload)?.get(Tag.Path)?.[0]?.toString()).toBe("/work")
    agent.frame(FrameType.Result, mount.channel, (w) => w.u32(Tag.Errno, 2).bytes(Tag.Path, "/work").bytes(Tag.Message, "no tag"))
    expect(await mounted).toMatchObject({ _tag: "Result", errno: 2, path: "/work" })
    const pinged = agent.client.ping()
    const ping = await agent.next(FrameType.Ping)
    agent.frame(FrameType.Pong, 0, (w) => w.bytes(Tag.Nonce, readFields(ping.payload)!.get(Tag.Nonce)![0]!))
    expect(await pinged).toBeTypeOf("number")
    const pending = agent.client.mount("krunbox1", "/data")
    agent.end()
    expect(await pending).toMatchObject({ _tag: "Lost" })
  })

  it("whatever bytes a guest sends, the client never throws and settles every process", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), async (chunks) => {
        const agent = fakeAgent(64)
        agent.hello()
        const process = agent.client.start({ argv: ["x"], stdin: "pipe" })
        process.stdout!.resume()
        process.stderr!.resume()
        for (const chunk of chunks) agent.write(Buffer.from(chunk))
        agent.end()
        await agent.client.ended
        expect(["Exited", "StartFailed", "Lost"]).toContain((await process.ended)._tag)
      }),
      { numRuns: 300, seed }
    )
  })
})
