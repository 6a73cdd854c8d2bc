/**
 * A minimal writer for the "newc" cpio format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here so building the L1's
 * initramfs needs no cpio binary; entries get mtime 0 so the archive is reproducible.
 *
 * @since 0.1.0
 */

/**
 * One archive member. Paths are relative to the archive root, without a leading slash.
 *
 * @since 0.1.0
 * @category models
 */
export type CpioEntry =
  | { readonly type: "directory"; readonly path: string; readonly mode: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly type: "symlink"; readonly path: string; readonly target: string }

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000

const hex8 = (n: number): string => n.toString(16).padStart(8, "0")
const pad4 = (n: number): number => (4 - (n % 4)) % 4

const header = (ino: number, mode: number, nlink: number, size: number, nameSize: number): string =>
  "070701" +
  [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, nameSize, 0].map(hex8).join("")

const member = (ino: number, mode: number, nlink: number, path: string, data: Uint8Array): Array<Buffer> => {
  const name = Buffer.from(`${path}\0`, "utf8")
  const head = Buffer.from(header(ino, mode, nlink, data.length, name.length), "ascii")
  return [
    head,
    name,
    Buffer.alloc(pad4(head.length + name.length)),
    Buffer.from(data),
    Buffer.alloc(pad4(data.length))
  ]
}

/**
 * Serialises entries (in the given order: parents before children) into a newc archive.
 *
 * @since 0.1.0
 * @category constructors
 */
export const writeCpio = (entries: ReadonlyArray<CpioEntry>): Buffer => {
  const parts: Array<Buffer> = []
  entries.forEach((entry, index) => {
    const ino = index + 1
    const path = entry.path.replace(/^\/+/, "")
    switch (entry.type) {
      case "directory":
        parts.push(...member(ino, S_IFDIR | (entry.mode & 0o7777), 2, path, new Uint8Array()))
        break
      case "file":
        parts.push(...member(ino, S_IFREG | (entry.mode & 0o7777), 1, path, entry.data))
        break
      case "symlink":
        parts.push(...member(ino, S_IFLNK | 0o777, 1, path, Buffer.from(entry.target, "utf8")))
        break
    }
  })
  parts.push(...member(0, 0, 1, "TRAILER!!!", new Uint8Array()))
  return Buffer.concat(parts)
}
