/**
 * The tar reader against archives written by GNU tar in each of its formats.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { readTar, type TarEntry } from "../src/internal/tar.js"
import { makeTempDir, prerequisite, removeDir, writeTar } from "@krunbox/testing"

const hasTar = (() => {
  try {
    execFileSync("tar", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const longName = `${"a".repeat(80)}/${"b".repeat(80)}/${"c".repeat(120)}.txt`
const longTarget = `${"t".repeat(150)}`

async function* chunksOf(...chunks: Array<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk
}

const readAll = async (archive: Buffer) => {
  const entries: Array<Omit<TarEntry, "body"> & { content: string }> = []
  for await (const entry of readTar(chunksOf(archive))) {
    const chunks: Array<Buffer> = []
    for await (const chunk of entry.body) chunks.push(chunk)
    const { body: _body, ...rest } = entry
    entries.push({ ...rest, content: Buffer.concat(chunks).toString("utf8") })
  }
  return entries
}

const tar = prerequisite(hasTar ? "" : "no tar on PATH (apt-get install tar)")

describe.skipIf(tar.skip)(tar.title("GNU tar archives"), () => {
  beforeAll(tar.check)
  let dir: string
  beforeAll(() => {
    dir = makeTempDir("tar")
    const src = path.join(dir, "src")
    fs.mkdirSync(path.join(src, path.dirname(longName)), { recursive: true })
    fs.writeFileSync(path.join(src, longName), "long\n")
    fs.writeFileSync(path.join(src, "plain.txt"), "plain content\n")
    fs.chmodSync(path.join(src, "plain.txt"), 0o640)
    fs.writeFileSync(path.join(src, "big.bin"), Buffer.alloc(3 * 512 + 7, 0x5a))
    fs.linkSync(path.join(src, "plain.txt"), path.join(src, "hard.txt"))
    fs.symlinkSync(longTarget, path.join(src, "long-link"))
    fs.symlinkSync("plain.txt", path.join(src, "short-link"))
    fs.utimesSync(path.join(src, "plain.txt"), 1_234_567_890, 1_234_567_890)
  })
  afterAll(() => removeDir(dir))

  for (const format of ["gnu", "posix", "ustar"] as const) {
    it(`reads the ${format} format: long names, links, modes, sizes, mtimes`, async () => {
      const members = format === "ustar" ? ["plain.txt", "big.bin", "hard.txt", "short-link"] : ["."]
      const archive = execFileSync("tar", ["--format", format, "-C", path.join(dir, "src"), "-cf", "-", "--sort=name", ...members], {
        maxBuffer: 64 * 1024 * 1024
      })
      const entries = await readAll(archive)
      const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, "").replace(/\/$/, ""), e]))
      const plainOrHard = [byName.get("plain.txt"), byName.get("hard.txt")].find((e) => e?.type === "file")
      expect(plainOrHard).toMatchObject({ mode: 0o640, content: "plain content\n", mtime: 1_234_567_890 })
      expect(byName.get("big.bin")?.content.length).toBe(3 * 512 + 7)
      const hardlinks = entries.filter((e) => e.type === "hardlink")
      expect(hardlinks.length).toBe(1)
      const pair = [hardlinks[0]!.name, hardlinks[0]!.linkname].map((n) => n.replace(/^\.\//, "")).sort()
      expect(pair).toEqual(["hard.txt", "plain.txt"])
      expect(byName.get("short-link")).toMatchObject({ type: "symlink", linkname: "plain.txt" })
      if (format !== "ustar") {
        expect(byName.get(longName)?.content).toBe("long\n")
        expect(byName.get("long-link")).toMatchObject({ type: "symlink", linkname: longTarget })
      }
    })
  }

  it("reads what it is fed in tiny chunks", async () => {
    const archive = execFileSync("tar", ["--format", "posix", "-C", path.join(dir, "src"), "-cf", "-", "."])
    const chunks: Array<Buffer> = []
    for (let offset = 0; offset < archive.length; offset += 37) chunks.push(archive.subarray(offset, offset + 37))
    const whole = await readAll(archive)
    const pieces: Array<string> = []
    for await (const entry of readTar(chunksOf(...chunks))) {
      const parts: Array<Buffer> = []
      for await (const chunk of entry.body) parts.push(chunk)
      pieces.push(`${entry.name}:${Buffer.concat(parts).toString("hex")}`)
    }
    expect(pieces).toEqual(whole.map((e) => `${e.name}:${Buffer.from(e.content).toString("hex")}`))
  })
})

describe("malformed archives", () => {
  const archive = writeTar([{ name: "a.txt", content: "x".repeat(1000) }])

  it("rejects a header whose checksum does not match", async () => {
    const broken = Buffer.from(archive)
    broken[10] = 0x41
    await expect(readAll(broken)).rejects.toThrow(/bad header checksum/)
  })

  it("rejects an archive that ends inside an entry", async () => {
    await expect(readAll(archive.subarray(0, 700))).rejects.toThrow(/unexpected end of archive/)
  })

  it("accepts an archive without the end-of-archive blocks", async () => {
    const entries = await readAll(archive.subarray(0, 512 + 1024))
    expect(entries.map((e) => e.name)).toEqual(["a.txt"])
  })

  it("skips bodies the consumer does not read", async () => {
    const two = writeTar([
      { name: "first", content: "1".repeat(700) },
      { name: "second", content: "two" }
    ])
    const names: Array<string> = []
    for await (const entry of readTar(chunksOf(two))) names.push(entry.name)
    expect(names).toEqual(["first", "second"])
  })
})
