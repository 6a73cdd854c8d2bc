import * as fs from "node:fs"

export interface ElfInfo {
  readonly isElf: boolean
  readonly is64: boolean
  /** PT_INTERP present: the binary needs a dynamic loader (not usable as a guest init). */
  readonly hasInterpreter: boolean
  /** PT_DYNAMIC present: the binary links shared libraries (or is a static PIE). */
  readonly hasDynamicSection: boolean
  readonly type: "executable" | "shared" | "other"
}

const PT_DYNAMIC = 2
const PT_INTERP = 3

/** Reads the ELF header and program headers of a little-endian 64-bit ELF file. */
export const readElfInfo = (file: string): ElfInfo => {
  const data = fs.readFileSync(file)
  const none: ElfInfo = { isElf: false, is64: false, hasInterpreter: false, hasDynamicSection: false, type: "other" }
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return none
  const is64 = data[4] === 2
  const littleEndian = data[5] === 1
  if (!is64 || !littleEndian) return { ...none, isElf: true, is64 }
  const eType = data.readUInt16LE(16)
  const phoff = Number(data.readBigUInt64LE(32))
  const phentsize = data.readUInt16LE(54)
  const phnum = data.readUInt16LE(56)
  let hasInterpreter = false
  let hasDynamicSection = false
  for (let i = 0; i < phnum; i++) {
    const offset = phoff + i * phentsize
    if (offset + 4 > data.length) break
    const pType = data.readUInt32LE(offset)
    if (pType === PT_INTERP) hasInterpreter = true
    if (pType === PT_DYNAMIC) hasDynamicSection = true
  }
  return {
    isElf: true,
    is64,
    hasInterpreter,
    hasDynamicSection,
    type: eType === 2 ? "executable" : eType === 3 ? "shared" : "other"
  }
}
