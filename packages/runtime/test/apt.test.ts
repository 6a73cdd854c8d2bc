/**
 * Deriving the private apt dir's source from the system's apt sources (no network).
 * Host names here are placeholders under the reserved .invalid TLD.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import {
  deriveDebianArchive,
  parseDeb822,
  parseOneLine,
  pickDebianArchive,
  privateSourcesList,
  upstreamVersion
} from "../src/internal/apt.js"

const deb822 = `Types: deb
# a comment
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

describe("apt sources parsing", () => {
  it("reads deb822 stanzas", () => {
    const sources = parseDeb822(deb822, "debian.sources")
    expect(sources).toHaveLength(2)
    expect(sources[0]).toEqual({
      types: ["deb"],
      uris: ["http://mirror.invalid/debian"],
      suites: ["bookworm", "bookworm-updates"],
      components: ["main"],
      signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
      origin: "debian.sources"
    })
  })

  it("skips stanzas marked Enabled: no and ignores inline keys", () => {
    const text = `Types: deb\nURIs: http://a.invalid/debian\nSuites: sid\nEnabled: no\n\nTypes: deb\nURIs: http://b.invalid/debian\nSuites: sid\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n`
    const sources = parseDeb822(text, "x.sources")
    expect(sources.map((s) => s.uris[0])).toEqual(["http://b.invalid/debian"])
    expect(sources[0]!.signedBy).toBeUndefined()
  })

  it("reads one-line sources with options", () => {
    const text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian bookworm main contrib\ndeb-src http://mirror.invalid/debian bookworm main\n"
    expect(parseOneLine(text, "sources.list")).toEqual([
      { types: ["deb"], uris: ["http://mirror.invalid/debian"], suites: ["bookworm"], components: ["main", "contrib"], signedBy: "/k.gpg", origin: "sources.list" },
      { types: ["deb-src"], uris: ["http://mirror.invalid/debian"], suites: ["bookworm"], components: ["main"], signedBy: undefined, origin: "sources.list" }
    ])
  })
})

describe("picking the main Debian archive", () => {
  it("takes the release source, not security or third-party ones", () => {
    const sources = [
      ...parseOneLine("deb http://vendor.invalid/apt stable main\n", "vendor.list"),
      ...parseDeb822(deb822, "debian.sources").reverse()
    ]
    expect(pickDebianArchive(sources)).toEqual({
      uri: "http://mirror.invalid/debian",
      signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
      origin: "debian.sources"
    })
  })

  it("finds nothing on a non-Debian archive", () => {
    expect(pickDebianArchive(parseOneLine("deb http://archive.invalid/ubuntu jammy main\n", "s"))).toBeUndefined()
  })

  it("writes a sid sources list for the derived archive", () => {
    const list = privateSourcesList({ uri: "http://mirror.invalid/debian", signedBy: "/k.gpg", origin: "o" })
    expect(list.split("\n").filter((l) => l.startsWith("deb"))).toEqual(["deb [signed-by=/k.gpg] http://mirror.invalid/debian sid main"])
  })
})

describe("deriveDebianArchive", () => {
  const dirs: Array<string> = []
  const etcApt = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-etc-apt-"))
    dirs.push(dir)
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
      fs.writeFileSync(path.join(dir, name), text)
    }
    return dir
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
  })

  it("reads sources.list.d/*.sources and ignores disabled files", async () => {
    const dir = etcApt({
      "sources.list.d/debian.sources": deb822,
      "sources.list.d/old.list.disabled": "deb http://old.invalid/debian bookworm main\n"
    })
    const archive = await Effect.runPromise(deriveDebianArchive("test", dir))
    expect(archive.uri).toBe("http://mirror.invalid/debian")
  })

  it("falls back to sources.list", async () => {
    const dir = etcApt({ "sources.list": "deb http://mirror.invalid/debian/ trixie main\n" })
    expect((await Effect.runPromise(deriveDebianArchive("test", dir))).uri).toBe("http://mirror.invalid/debian")
  })

  it("fails with DebianArchiveUnknown naming what it searched and the fix", async () => {
    const dir = etcApt({ "sources.list": "deb http://archive.invalid/ubuntu jammy main\n" })
    const error = await Effect.runPromise(Effect.flip(deriveDebianArchive("libkrunfw", dir)))
    expect(error._tag).toBe("DebianArchiveUnknown")
    expect(error.searched).toContain(path.join(dir, "sources.list"))
    expect(error.message).toContain("KRUNBOX_DEBIAN_ARCHIVE")
    expect(error.message).toContain("libkrunfw")
  })
})

describe("upstreamVersion", () => {
  it.each([
    ["5.5.0+ds-1", "5.5.0"],
    ["1:1.38.0-3+b1", "1.38.0"],
    ["1.2.3", "1.2.3"],
    ["2.0~rc1-2", "2.0"]
  ])("%s -> %s", (debian, upstream) => {
    expect(upstreamVersion(debian)).toBe(upstream)
  })
})
