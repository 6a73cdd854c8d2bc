/**
 * A small tar writer for building test layers with exactly the entries a test needs
 * (whiteouts, hardlinks, long names in pax or GNU form, odd modes and owners).
 */

export interface TarInput {
  readonly name: string
  readonly type?: "file" | "directory" | "symlink" | "hardlink" | "fifo" | "char"
  readonly mode?: number
  readonly uid?: number
  readonly gid?: number
  readonly mtime?: number
  readonly content?: Buffer | string
  readonly linkname?: string
  /** how a name longer than 100 bytes is written; default pax */
  readonly longNames?: "pax" | "gnu"
}

const typeflags = { file: "0", hardlink: "1", symlink: "2", char: "3", directory: "5", fifo: "6" } as const

const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0") + "\0"

const header = (fields: {
  name: string
  mode: number
  uid: number
  gid: number
  size: number
  mtime: number
  typeflag: string
  linkname: string
  gnu?: boolean
}): Buffer => {
  const block = Buffer.alloc(512)
  block.write(fields.name.slice(0, 100), 0, "utf8")
  block.write(octal(fields.mode, 8), 100, "latin1")
  block.write(octal(fields.uid, 8), 108, "latin1")
  block.write(octal(fields.gid, 8), 116, "latin1")
  block.write(octal(fields.size, 12), 124, "latin1")
  block.write(octal(fields.mtime, 12), 136, "latin1")
  block.write("        ", 148, "latin1")
  block.write(fields.typeflag, 156, "latin1")
  block.write(fields.linkname.slice(0, 100), 157, "utf8")
  if (fields.gnu) block.write("ustar  \0", 257, "latin1")
  else {
    block.write("ustar\0", 257, "latin1")
    block.write("00", 263, "latin1")
  }
  let sum = 0
  for (const byte of block) sum += byte
  block.write(octal(sum, 7) + " ", 148, "latin1")
  return block
}

const pad = (data: Buffer): Array<Buffer> => {
  const rest = data.length % 512
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest)]
}

const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`
  let length = Buffer.byteLength(body) + 1
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body)
  return `${length}${body}`
}

/** Serialises entries into an uncompressed tar (with the two zero end blocks). */
export const writeTar = (entries: ReadonlyArray<TarInput>): Buffer => {
  const parts: Array<Buffer> = []
  for (const entry of entries) {
    const type = entry.type ?? "file"
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content)
    const linkname = entry.linkname ?? ""
    const longName = Buffer.byteLength(entry.name) > 100
    const longLink = Buffer.byteLength(linkname) > 100
    const useGnu = entry.longNames === "gnu"
    if ((longName || longLink) && !useGnu) {
      const records = (longName ? paxRecord("path", entry.name) : "") + (longLink ? paxRecord("linkpath", linkname) : "")
      const data = Buffer.from(records)
      parts.push(header({ name: "PaxHeaders/x", mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: "x", linkname: "" }))
      parts.push(...pad(data))
    }
    if (longName && useGnu) {
      const data = Buffer.from(`${entry.name}\0`)
      parts.push(header({ name: "././@LongLink", mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: "L", linkname: "", gnu: true }))
      parts.push(...pad(data))
    }
    if (longLink && useGnu) {
      const data = Buffer.from(`${linkname}\0`)
      parts.push(header({ name: "././@LongLink", mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: "K", linkname: "", gnu: true }))
      parts.push(...pad(data))
    }
    const size = type === "file" ? content.length : 0
    parts.push(
      header({
        name: entry.name,
        mode: entry.mode ?? (type === "directory" ? 0o755 : 0o644),
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        size,
        mtime: entry.mtime ?? 1_700_000_000,
        typeflag: typeflags[type],
        linkname,
        gnu: useGnu
      })
    )
    if (size > 0) parts.push(...pad(content))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}
