/**
 * The conversion module against a C fixture compiled at test time: what reaches C, byte for
 * byte. The fixture only proves marshalling; libkrun's behaviour is tested against libkrun.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import koffi from "koffi"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { InvalidArgument, KRUN_MAX_ARRAY_ENTRIES } from "../src/index.js"
import {
  bool,
  cString,
  cStringArray,
  copyFromPointer,
  int32,
  macAddress,
  nullableCString,
  nullableCStringArray,
  pinBytes,
  toBigint,
  uint16,
  uint32,
  uint64,
  uint8
} from "../src/internal/convert.js"
import { inCI } from "./support/runtime.js"

const gccMissing = spawnSync("gcc", ["--version"]).status !== 0
const skipFixture = gccMissing && !inCI

const invalid = (call: () => unknown): InvalidArgument => {
  try {
    call()
  } catch (error) {
    if (InvalidArgument.isInstance(error)) return error
    throw error
  }
  throw new Error("expected InvalidArgument, but the call succeeded")
}

describe("integer and boolean conversions", () => {
  it.each([
    ["uint8", () => uint8("f", "a", 256)],
    ["uint8", () => uint8("f", "a", -1)],
    ["uint16", () => uint16("f", "a", 65_536)],
    ["uint32", () => uint32("f", "a", 2 ** 32)],
    ["uint32", () => uint32("f", "a", -1)],
    ["uint32", () => uint32("f", "a", 1.5)],
    ["uint32", () => uint32("f", "a", Number.NaN)],
    ["int32", () => int32("f", "a", 2 ** 31)],
    ["uint64", () => uint64("f", "a", 2n ** 64n)],
    ["uint64", () => uint64("f", "a", -1n)],
    ["uint64", () => uint64("f", "a", 2 ** 60)],
    ["bool", () => bool("f", "a", 1 as unknown as boolean)]
  ])("%s refuses a value C would wrap or misread", (_type, call) => {
    expect(invalid(call)._tag).toBe("InvalidArgument")
  })

  it("passes the edges of each range through unchanged", () => {
    expect([uint8("f", "a", 255), uint16("f", "a", 65_535), uint32("f", "a", 2 ** 32 - 1)]).toEqual([255, 65_535, 2 ** 32 - 1])
    expect([int32("f", "a", -1), int32("f", "a", -(2 ** 31))]).toEqual([-1, -(2 ** 31)])
    expect(uint64("f", "a", 2n ** 64n - 1n)).toBe(2n ** 64n - 1n)
    expect(uint64("f", "a", Number.MAX_SAFE_INTEGER)).toBe(BigInt(Number.MAX_SAFE_INTEGER))
  })

  it("names the function, the argument and the value in the error", () => {
    const error = invalid(() => uint8("krun_set_vm_config", "num_vcpus", 300))
    expect(error.toJSON()).toMatchObject({
      _tag: "InvalidArgument",
      function: "krun_set_vm_config",
      argument: "num_vcpus",
      value: 300,
      expected: "an integer in [0, 255] (uint8_t)"
    })
  })
})

describe("string conversions", () => {
  it("refuses embedded NULs, lone surrogates and oversized arrays", () => {
    expect(invalid(() => cString("f", "path", "a\0b")).hint).toMatch(/truncated/)
    expect(invalid(() => cString("f", "path", Uint8Array.of(0x61, 0)))._tag).toBe("InvalidArgument")
    expect(invalid(() => cString("f", "path", "\uDC00x")).expected).toMatch(/well-formed/)
    expect(invalid(() => cStringArray("f", "argv", ["ok", "b\0"])).argument).toBe("argv[1]")
    expect(invalid(() => cStringArray("f", "argv", Array.from({ length: KRUN_MAX_ARRAY_ENTRIES + 1 }, () => "x"))).hint).toMatch(
      /silently drops/
    )
  })

  it("accepts a surrogate pair (an astral character) as its 4 UTF-8 bytes", () => {
    expect(Array.from(cString("f", "s", "😀"))).toEqual([0xf0, 0x9f, 0x98, 0x80, 0])
  })
})

describe.skipIf(skipFixture)(`marshalling into C${skipFixture ? " (skipped: gcc is not installed)" : ""}`, () => {
  let buildDir: string
  let fixture: {
    count: (items: unknown) => number
    entry: (items: unknown, index: number, out: Uint8Array, capacity: number) => number
    string: (value: unknown, out: Uint8Array, capacity: number) => number
    mac: (mac: unknown, out: Uint8Array) => void
    keep: (data: unknown, length: number) => void
    readKept: (out: Uint8Array, capacity: number) => number
    out: (data: Array<unknown>, length: Array<unknown>) => number
  }

  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), "krunbox-ffi-fixture-"))
    const library = join(buildDir, `libmarshal.${process.platform === "darwin" ? "dylib" : "so"}`)
    const source = fileURLToPath(new URL("./fixtures/marshal.c", import.meta.url))
    execFileSync("gcc", ["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", library, source])
    const lib = koffi.load(library)
    const bind = <F>(prototype: string): F => lib.func(prototype) as F
    fixture = {
      count: bind("int32_t fixture_count(const char **items)"),
      entry: bind("int32_t fixture_entry(const char **items, int32_t index, _Out_ uint8_t *out, int32_t capacity)"),
      string: bind("int32_t fixture_string(const char *value, _Out_ uint8_t *out, int32_t capacity)"),
      mac: bind("void fixture_mac(const uint8_t *mac, _Out_ uint8_t *out)"),
      keep: bind("void fixture_keep(const uint8_t *data, size_t length)"),
      readKept: bind("int32_t fixture_read_kept(_Out_ uint8_t *out, int32_t capacity)"),
      out: bind("int32_t fixture_out(_Out_ const uint8_t **data_out, _Out_ size_t *len_out)")
    }
  })

  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true })
  })

  const entryBytes = (items: unknown, index: number): Array<number> => {
    const out = new Uint8Array(256)
    const length = fixture.entry(items, index, out, out.length)
    return Array.from(out.subarray(0, length))
  }

  it("delivers string arrays NULL-terminated, each entry byte for byte", () => {
    const items = ["8080:80", "", "ünïcödé", Uint8Array.of(0x2f, 0xff, 0xfe), "a b\tc"]
    const array = cStringArray("f", "items", items)
    expect(fixture.count(array)).toBe(items.length)
    expect(entryBytes(array, 0)).toEqual(Array.from(Buffer.from("8080:80")))
    expect(entryBytes(array, 1)).toEqual([])
    expect(entryBytes(array, 2)).toEqual(Array.from(Buffer.from("ünïcödé", "utf8")))
    expect(entryBytes(array, 3)).toEqual([0x2f, 0xff, 0xfe])
    expect(entryBytes(array, 4)).toEqual(Array.from(Buffer.from("a b\tc")))
  })

  it("delivers an empty array as a non-NULL array holding only the terminator", () => {
    expect(fixture.count(cStringArray("f", "items", []))).toBe(0)
  })

  it("delivers null as a NULL array", () => {
    expect(fixture.count(nullableCStringArray("f", "items", null))).toBe(-1)
  })

  it("delivers the longest array libkrun reads, terminator included", () => {
    const items = Array.from({ length: KRUN_MAX_ARRAY_ENTRIES }, (_, i) => `${i}`)
    const array = cStringArray("f", "items", items)
    expect(fixture.count(array)).toBe(KRUN_MAX_ARRAY_ENTRIES)
    expect(entryBytes(array, KRUN_MAX_ARRAY_ENTRIES - 1)).toEqual(Array.from(Buffer.from(`${KRUN_MAX_ARRAY_ENTRIES - 1}`)))
  })

  it("delivers strings NUL-terminated, raw bytes unchanged, and null as NULL", () => {
    const out = new Uint8Array(64)
    expect(fixture.string(cString("f", "s", "/tmp/ü"), out, 64)).toBe(Buffer.byteLength("/tmp/ü"))
    expect(Buffer.from(out.subarray(0, Buffer.byteLength("/tmp/ü"))).toString("utf8")).toBe("/tmp/ü")
    const raw = Uint8Array.of(0x80, 0x81, 0xc0)
    expect(fixture.string(cString("f", "s", raw), out, 64)).toBe(3)
    expect(Array.from(out.subarray(0, 3))).toEqual([0x80, 0x81, 0xc0])
    expect(fixture.string(nullableCString("f", "s", null), out, 64)).toBe(-1)
  })

  it("delivers a MAC as exactly its 6 bytes, from numbers or bytes", () => {
    const out = new Uint8Array(6)
    fixture.mac(macAddress("f", "mac", [0x02, 0x00, 0x5e, 0x10, 0x20, 0xff]), out)
    expect(Array.from(out)).toEqual([0x02, 0x00, 0x5e, 0x10, 0x20, 0xff])
    expect(invalid(() => macAddress("f", "mac", [1, 2, 3, 4, 5, 256])).argument).toBe("mac")
  })

  it("keeps pinned bytes readable by C after the call, whatever happens to the source", () => {
    const source = new Uint8Array(4096).map((_, i) => i % 251)
    const expected = Array.from(source)
    const pinned = pinBytes("f", "data", source)
    fixture.keep(pinned.pointer, pinned.length)
    source.fill(0)
    // Churn the JS heap so that any V8-managed copy would have moved or been reused.
    for (let i = 0; i < 200; i++) void new Uint8Array(64 * 1024).fill(i)
    const out = new Uint8Array(4096)
    expect(fixture.readKept(out, out.length)).toBe(4096)
    expect(Array.from(out)).toEqual(expected)
    pinned.release()
    pinned.release() // idempotent
    const empty = pinBytes("f", "data", new Uint8Array(0))
    expect(empty.pointer).toBeNull()
    fixture.keep(empty.pointer, 0)
    expect(fixture.readKept(out, out.length)).toBe(0)
  })

  it("reads out-parameters the way krun_get_default_init returns them", () => {
    const data: Array<unknown> = [null]
    const length: Array<unknown> = [null]
    expect(fixture.out(data, length)).toBe(0)
    expect(typeof data[0]).toBe("bigint")
    expect(Array.from(copyFromPointer(toBigint(data[0]), Number(toBigint(length[0]))))).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])
  })
})
