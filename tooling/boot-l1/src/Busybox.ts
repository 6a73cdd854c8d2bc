import { open, readFile } from "node:fs/promises"
import { join } from "node:path"
import { BusyboxUnavailable } from "./errors.js"

const PT_INTERP = 3

/**
 * True when the ELF image has no program interpreter (statically linked). The L1's initramfs
 * has no C library, so its busybox must be static.
 *
 * @since 0.1.0
 * @category parsing
 */
export const isStaticElf = (image: Uint8Array): boolean => {
  const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength)
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return false
  const phoff = Number(buf.readBigUInt64LE(0x20))
  const phentsize = buf.readUInt16LE(0x36)
  const phnum = buf.readUInt16LE(0x38)
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    if (at + 4 > buf.length) return false
    if (buf.readUInt32LE(at) === PT_INTERP) return false
  }
  return true
}

const readHead = async (path: string): Promise<Uint8Array | undefined> => {
  try {
    const handle = await open(path, "r")
    try {
      const buf = Buffer.alloc(64 * 1024)
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0)
      return buf.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}

/**
 * A statically linked busybox: the one in krunbox's default rootfs (from busybox-static), else
 * the host's.
 *
 * @since 0.1.0
 * @category constructors
 */
export const findStaticBusybox = async (cacheDir: string): Promise<string> => {
  const candidates: Array<string> = []
  try {
    const manifest = JSON.parse(await readFile(join(cacheDir, "runtime.json"), "utf8")) as { readonly rootfs?: { readonly path?: unknown } }
    if (typeof manifest.rootfs?.path === "string") candidates.push(join(manifest.rootfs.path, "bin", "busybox"))
  } catch {
    // no runtime yet: fall back to the host's busybox
  }
  candidates.push("/bin/busybox", "/usr/bin/busybox")
  for (const candidate of candidates) {
    const head = await readHead(candidate)
    if (head !== undefined && isStaticElf(head)) return candidate
  }
  throw new BusyboxUnavailable(candidates)
}
