/**
 * The one JS → C conversion module. Every value that reaches libkrun goes through here, so the
 * rules live in one place:
 *
 * - integers are checked against their C type's range (koffi would wrap 256 to a `uint8_t` 0);
 * - strings become NUL-terminated UTF-8 bytes; `Uint8Array`s pass through as raw bytes (Linux
 *   paths are bytes), so a caller can hand libkrun non-UTF-8 on purpose; an embedded NUL is
 *   refused because C would silently truncate there;
 * - string arrays become arrays of such strings ending in `null`, which koffi passes as a C array
 *   ending in a NULL pointer;
 * - bytes that C keeps after the call returns are copied to C heap memory the caller frees.
 */
import koffi from "koffi"
import { KRUN_MAX_ARRAY_ENTRIES } from "../Constants.js"
import { InvalidArgument } from "../errors/InvalidArgument.js"

/**
 * A C string argument: a JS string (sent as UTF-8) or raw bytes (sent as they are). Neither may
 * contain a NUL byte; the terminator is added here.
 */
export type CStringInput = string | Uint8Array

const hexPreview = (bytes: Uint8Array): string => {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 32)).toString("hex")
  return `<${bytes.byteLength} bytes: ${shown}${bytes.byteLength > 32 ? "…" : ""}>`
}

const maxSummaryLength = 512

/**
 * A JSON-safe rendering of a value that crossed (or was about to cross) the C boundary.
 *
 * @since 0.1.0
 * @category models
 */
export type ArgumentSummary = string | number | boolean | null | ReadonlyArray<ArgumentSummary>

/** A JSON-safe rendering of an argument for error messages. */
export const summarize = (value: unknown): ArgumentSummary => {
  if (value === null || value === undefined) return null
  if (typeof value === "string") {
    return value.length > maxSummaryLength ? `${value.slice(0, maxSummaryLength)}…` : value
  }
  if (typeof value === "number" || typeof value === "boolean") return value
  if (typeof value === "bigint") return value.toString()
  if (value instanceof Uint8Array) return hexPreview(value)
  if (Array.isArray(value)) {
    const items: ReadonlyArray<unknown> = value
    return items.slice(0, 64).map(summarize)
  }
  return Object.prototype.toString.call(value)
}

const integer = (
  fn: string,
  argument: string,
  value: number,
  min: number,
  max: number,
  cType: string
): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: `an integer in [${min}, ${max}] (${cType})`
    })
  }
  return value
}

export const uint8 = (fn: string, argument: string, value: number): number =>
  integer(fn, argument, value, 0, 0xff, "uint8_t")

export const uint16 = (fn: string, argument: string, value: number): number =>
  integer(fn, argument, value, 0, 0xffff, "uint16_t")

export const uint32 = (fn: string, argument: string, value: number): number =>
  integer(fn, argument, value, 0, 0xffff_ffff, "uint32_t")

/** A C `int`; file descriptors use this, where -1 often means "none". */
export const int32 = (fn: string, argument: string, value: number): number =>
  integer(fn, argument, value, -0x8000_0000, 0x7fff_ffff, "int")

const uint64Max = (1n << 64n) - 1n

export const uint64 = (fn: string, argument: string, value: number | bigint): bigint => {
  const asBigint =
    typeof value === "bigint" ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (asBigint === undefined || asBigint < 0n || asBigint > uint64Max) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: "a non-negative safe integer or a bigint below 2^64 (uint64_t)"
    })
  }
  return asBigint
}

export const bool = (fn: string, argument: string, value: boolean): boolean => {
  if (typeof value !== "boolean") {
    throw new InvalidArgument({ function: fn, argument, value: summarize(value), expected: "a boolean (bool)" })
  }
  return value
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The UTF-8 (or raw) bytes of a C string, without the terminator, after the NUL check. */
const stringBytes = (fn: string, argument: string, value: CStringInput): Uint8Array => {
  if (typeof value === "string") {
    if (loneSurrogate.test(value)) {
      throw new InvalidArgument({
        function: fn,
        argument,
        value: summarize(value),
        expected: "a well-formed string (no lone UTF-16 surrogates)",
        hint: "A lone surrogate has no UTF-8 encoding; pass the intended bytes as a Uint8Array instead."
      })
    }
    if (value.includes("\0")) {
      throw new InvalidArgument({
        function: fn,
        argument,
        value: summarize(value),
        expected: "a string without NUL characters",
        hint: "C strings end at the first NUL byte, so libkrun would see a truncated value."
      })
    }
    return Buffer.from(value, "utf8")
  }
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: "a string or a Uint8Array"
    })
  }
  if (value.includes(0)) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: "bytes without a NUL (0x00) byte",
      hint: "C strings end at the first NUL byte, so libkrun would see a truncated value; the terminator is added for you."
    })
  }
  return value
}

/** A NUL-terminated copy, in memory that V8 never moves. */
export const cString = (fn: string, argument: string, value: CStringInput): Buffer => {
  const bytes = stringBytes(fn, argument, value)
  const out = Buffer.allocUnsafeSlow(bytes.byteLength + 1)
  out.set(bytes, 0)
  out[bytes.byteLength] = 0
  return out
}

export const nullableCString = (
  fn: string,
  argument: string,
  value: CStringInput | null
): Buffer | null => (value === null ? null : cString(fn, argument, value))

/**
 * A `const char *const[]` argument as koffi takes it: one NUL-terminated buffer per string, then
 * `null`, which koffi turns into the terminating NULL pointer. The JS array keeps the buffers
 * alive for the duration of the call.
 */
export type CStringArray = ReadonlyArray<Buffer | null>

export const cStringArray = (
  fn: string,
  argument: string,
  items: ReadonlyArray<CStringInput>
): CStringArray => {
  if (!Array.isArray(items)) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(items),
      expected: "an array of strings or Uint8Arrays"
    })
  }
  if (items.length > KRUN_MAX_ARRAY_ENTRIES) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: `<array of ${items.length} entries>`,
      expected: `at most ${KRUN_MAX_ARRAY_ENTRIES} entries`,
      hint: `libkrun reads at most ${KRUN_MAX_ARRAY_ENTRIES} entries and silently drops the rest.`
    })
  }
  return [...items.map((item, index) => cString(fn, `${argument}[${index}]`, item)), null]
}

export const nullableCStringArray = (
  fn: string,
  argument: string,
  items: ReadonlyArray<CStringInput> | null
): CStringArray | null => (items === null ? null : cStringArray(fn, argument, items))

/** A MAC address: exactly 6 bytes, as `Uint8Array` or numbers 0..255. */
export type MacAddress = Uint8Array | ReadonlyArray<number>

export const macAddress = (fn: string, argument: string, value: MacAddress): Buffer => {
  const valid =
    (value instanceof Uint8Array || Array.isArray(value)) &&
    value.length === 6 &&
    Array.from(value).every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 0xff)
  if (!valid) {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: "exactly 6 bytes (a Uint8Array or 6 integers 0..255)",
      hint: "libkrun reads 6 bytes from this pointer unconditionally; a shorter buffer would be read past its end."
    })
  }
  return Buffer.from(Array.from(value))
}

/** Bytes that C copies during the call; `null` stands for an empty input (NULL, 0). */
export const byteBuffer = (fn: string, argument: string, value: Uint8Array): Buffer | null => {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgument({ function: fn, argument, value: summarize(value), expected: "a Uint8Array" })
  }
  if (value.byteLength === 0) return null
  const out = Buffer.allocUnsafeSlow(value.byteLength)
  out.set(value, 0)
  return out
}

/**
 * Bytes that C keeps using after the call returns (`krun_fs_add_overlay_file` stores the
 * pointer, not a copy). They live in C heap memory, outside the garbage collector's reach, until
 * `release()`.
 */
export interface PinnedBytes {
  /** The C address, or `null` for zero bytes. */
  readonly pointer: bigint | null
  readonly length: number
  release(): void
}

export const pinBytes = (fn: string, argument: string, value: Uint8Array): PinnedBytes => {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgument({ function: fn, argument, value: summarize(value), expected: "a Uint8Array" })
  }
  if (value.byteLength === 0) return { pointer: null, length: 0, release: () => undefined }
  const pointer: unknown = koffi.alloc("uint8_t", value.byteLength)
  if (typeof pointer !== "bigint") {
    throw new InvalidArgument({
      function: fn,
      argument,
      value: summarize(value),
      expected: "bytes that fit in memory",
      hint: "koffi.alloc did not return a pointer."
    })
  }
  new Uint8Array(koffi.view(pointer, value.byteLength)).set(value)
  let released = false
  return {
    pointer,
    length: value.byteLength,
    release: () => {
      if (!released) {
        released = true
        koffi.free(pointer)
      }
    }
  }
}

/** Copies `length` bytes at a C address into a fresh `Uint8Array`. */
export const copyFromPointer = (pointer: bigint, length: number): Uint8Array =>
  length === 0 ? new Uint8Array(0) : new Uint8Array(koffi.view(pointer, length)).slice()

/** A `size_t` / pointer out-value as koffi decodes it (number or bigint) → bigint. */
export const toBigint = (value: unknown): bigint => {
  if (typeof value === "bigint") return value
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value)
  return 0n
}
