/**
 * A streaming tar reader: ustar, pax extended headers (`x`, `g`) and GNU long names (`L`, `K`).
 * It yields one entry at a time; the entry's body must be consumed (or left alone, then it is
 * skipped) before asking for the next entry.
 *
 * @internal
 */

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "other"

export interface TarEntry {
  readonly name: string
  readonly type: TarEntryType
  readonly typeflag: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly size: number
  readonly mtime: number
  readonly linkname: string
  readonly devmajor: number
  readonly devminor: number
  readonly xattrs: ReadonlyMap<string, string>
  /** The entry's bytes; yields nothing for entries without content. */
  readonly body: AsyncIterable<Buffer>
}

export class TarFormatError extends Error {
  constructor(detail: string) {
    super(detail)
    this.name = "TarFormatError"
  }
}

const blockSize = 512

/** Buffers an async byte source so that exact amounts can be read from it. */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>
  private pending: Buffer = Buffer.alloc(0)
  private ended = false
  /** total bytes handed out so far (for error messages) */
  offset = 0

  constructor(source: AsyncIterable<Buffer | Uint8Array>) {
    const inner = source[Symbol.asyncIterator]()
    this.iterator = {
      next: async () => {
        const result = await inner.next()
        if (result.done) return result
        const value = result.value
        return { done: false, value: Buffer.isBuffer(value) ? value : Buffer.from(value) }
      },
      ...(inner.return ? { return: async () => (await inner.return!()) as IteratorResult<Buffer> } : {})
    }
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false
    const result = await this.iterator.next()
    if (result.done) {
      this.ended = true
      return false
    }
    this.pending = this.pending.length === 0 ? result.value : Buffer.concat([this.pending, result.value])
    return true
  }

  /** Exactly n bytes, or fewer only when the source ended. */
  async read(n: number): Promise<Buffer> {
    while (this.pending.length < n) {
      if (!(await this.fill())) break
    }
    const taken = this.pending.subarray(0, Math.min(n, this.pending.length))
    this.pending = this.pending.subarray(taken.length)
    this.offset += taken.length
    return taken
  }

  /** Yields slices totalling n bytes; throws when the source ends first. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let remaining = n
    while (remaining > 0) {
      if (this.pending.length === 0 && !(await this.fill())) {
        throw new TarFormatError(`unexpected end of archive at byte ${this.offset}, ${remaining} bytes of an entry missing`)
      }
      const slice = this.pending.subarray(0, Math.min(remaining, this.pending.length))
      this.pending = this.pending.subarray(slice.length)
      this.offset += slice.length
      remaining -= slice.length
      yield slice
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) {
      // discarded on purpose
    }
  }

  async close(): Promise<void> {
    await this.iterator.return?.()
  }
}

const cString = (buf: Buffer, start: number, length: number): string => {
  const field = buf.subarray(start, start + length)
  const nul = field.indexOf(0)
  return field.subarray(0, nul === -1 ? field.length : nul).toString("utf8")
}

const parseNumber = (buf: Buffer, start: number, length: number, field: string): number => {
  const raw = buf.subarray(start, start + length)
  if (raw.length > 0 && (raw[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement; negative values make no sense here
    if (raw[0] === 0xff) throw new TarFormatError(`negative base-256 ${field}`)
    let value = raw[0]! & 0x7f
    for (let i = 1; i < raw.length; i++) value = value * 256 + raw[i]!
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large`)
    return value
  }
  const text = raw.toString("latin1").replace(/[\0 ]+$/g, "").replace(/^[\0 ]+/g, "")
  if (text.length === 0) return 0
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`${field} field is not octal: ${JSON.stringify(text)}`)
  return parseInt(text, 8)
}

const verifyChecksum = (header: Buffer): boolean => {
  const stored = parseNumber(header, 148, 8, "checksum")
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < blockSize; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  return stored === unsigned || stored === signed
}

const parsePax = (data: Buffer): Map<string, string> => {
  const records = new Map<string, string>()
  let pos = 0
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos)
    if (space === -1) break
    const length = parseInt(data.subarray(pos, space).toString("latin1"), 10)
    if (!Number.isSafeInteger(length) || length <= 0 || pos + length > data.length) {
      throw new TarFormatError(`malformed pax record at offset ${pos}`)
    }
    const record = data.subarray(space + 1, pos + length - 1) // drop trailing \n
    const eq = record.indexOf(0x3d)
    if (eq === -1) throw new TarFormatError(`pax record without "=" at offset ${pos}`)
    records.set(record.subarray(0, eq).toString("utf8"), record.subarray(eq + 1).toString("utf8"))
    pos += length
  }
  return records
}

const typeOf = (flag: string): TarEntryType => {
  switch (flag) {
    case "0":
    case "\0":
    case "7":
      return "file"
    case "1":
      return "hardlink"
    case "2":
      return "symlink"
    case "3":
      return "char"
    case "4":
      return "block"
    case "5":
      return "directory"
    case "6":
      return "fifo"
    default:
      return "other"
  }
}

const maxMetadataSize = 8 * 1024 * 1024

/**
 * Reads a tar stream entry by entry.
 *
 * @throws TarFormatError on malformed input
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source)
  let globalPax = new Map<string, string>()
  let localPax: Map<string, string> | undefined
  let longName: string | undefined
  let longLink: string | undefined
  try {
    for (;;) {
      const header = await reader.read(blockSize)
      if (header.length === 0) return // tolerate a missing end-of-archive marker
      if (header.length < blockSize) throw new TarFormatError(`truncated header at byte ${reader.offset - header.length}`)
      if (header.every((byte) => byte === 0)) {
        // end-of-archive; drain the record padding so that a hash over the stream covers all of it
        while ((await reader.read(64 * 1024)).length > 0) {
          // discarded on purpose
        }
        return
      }
      if (!verifyChecksum(header)) throw new TarFormatError(`bad header checksum at byte ${reader.offset - blockSize}`)

      const typeflag = String.fromCharCode(header[156]!)
      const magic = header.subarray(257, 263).toString("latin1")
      const isGnu = magic === "ustar "
      const size = parseNumber(header, 124, 12, "size")
      const padded = Math.ceil(size / blockSize) * blockSize

      if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
        if (size > maxMetadataSize) throw new TarFormatError(`metadata entry of ${size} bytes is implausibly large`)
        const data = await reader.read(padded)
        if (data.length < padded) throw new TarFormatError("unexpected end of archive inside a metadata entry")
        const content = data.subarray(0, size)
        if (typeflag === "x") localPax = parsePax(content)
        else if (typeflag === "g") globalPax = new Map([...globalPax, ...parsePax(content)])
        else {
          const nul = content.indexOf(0)
          const text = content.subarray(0, nul === -1 ? content.length : nul).toString("utf8")
          if (typeflag === "L") longName = text
          else longLink = text
        }
        continue
      }
      if (typeflag === "S") throw new TarFormatError("GNU sparse entries are not supported")

      const pax = localPax === undefined ? globalPax : new Map([...globalPax, ...localPax])
      localPax = undefined
      let name = cString(header, 0, 100)
      const prefix = isGnu ? "" : cString(header, 345, 155)
      if (magic.startsWith("ustar") && prefix.length > 0) name = `${prefix}/${name}`
      if (longName !== undefined) name = longName
      let linkname = longLink ?? cString(header, 157, 100)
      longName = undefined
      longLink = undefined

      const xattrs = new Map<string, string>()
      let entrySize = size
      let uid = parseNumber(header, 108, 8, "uid")
      let gid = parseNumber(header, 116, 8, "gid")
      let mtime = parseNumber(header, 136, 12, "mtime")
      for (const [key, value] of pax) {
        if (key === "path") name = value
        else if (key === "linkpath") linkname = value
        else if (key === "size") entrySize = Number(value)
        else if (key === "uid") uid = Number(value)
        else if (key === "gid") gid = Number(value)
        else if (key === "mtime") mtime = Number(value)
        else if (key.startsWith("SCHILY.xattr.")) xattrs.set(key.slice("SCHILY.xattr.".length), value)
      }
      if (![entrySize, uid, gid].every((n) => Number.isSafeInteger(n) && n >= 0) || !Number.isFinite(mtime)) {
        throw new TarFormatError(`entry ${JSON.stringify(name)} has an invalid size, uid, gid or mtime`)
      }
      const type = typeOf(typeflag)
      // only regular files (and unknown types, which POSIX says to treat as files) carry data
      const dataSize = type === "file" || type === "other" ? entrySize : 0
      const dataPadded = Math.ceil(dataSize / blockSize) * blockSize
      let bodyRead = 0
      let bodyOpened = false
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => {
          if (bodyOpened) throw new TarFormatError("an entry body can be read only once")
          bodyOpened = true
          return (async function* () {
            for await (const chunk of reader.take(dataSize)) {
              bodyRead += chunk.length
              yield chunk
            }
          })()
        }
      }
      yield {
        name,
        type,
        typeflag,
        mode: parseNumber(header, 100, 8, "mode") & 0o7777,
        uid,
        gid,
        size: dataSize,
        mtime,
        linkname,
        devmajor: type === "char" || type === "block" ? parseNumber(header, 329, 8, "devmajor") : 0,
        devminor: type === "char" || type === "block" ? parseNumber(header, 337, 8, "devminor") : 0,
        xattrs,
        body
      }
      // skip what the consumer did not read, then the padding
      const rest = dataSize - bodyRead + (dataPadded - dataSize)
      if (rest > 0) await reader.skip(rest)
    }
  } finally {
    await reader.close()
  }
}
