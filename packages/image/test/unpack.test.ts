/**
 * Layer application on a real file system: whiteouts, replacement rules, and every way an
 * archive could try to write outside the root.
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ImageConfig } from "../src/index.js"
import { RootfsBuilder } from "../src/internal/unpack.js"
import { makeTempDir, removeDir, type TarInput, writeTar } from "@krunbox/testing"

async function* streamOf(data: Buffer): AsyncGenerator<Buffer> {
  yield data
}

describe("RootfsBuilder", () => {
  let sandbox: string
  let root: string
  let outside: string
  let builder: RootfsBuilder

  beforeEach(() => {
    sandbox = makeTempDir("unpack")
    root = path.join(sandbox, "a", "b", "root")
    outside = path.join(sandbox, "outside")
    fs.mkdirSync(root, { recursive: true })
    fs.mkdirSync(outside)
    fs.writeFileSync(path.join(outside, "target.txt"), "host file\n")
    builder = new RootfsBuilder(root, { preserveOwnership: process.getuid?.() === 0 })
  })
  afterEach(() => removeDir(sandbox))

  const apply = (entries: ReadonlyArray<TarInput>, name = "sha256:test") => builder.applyLayer(streamOf(writeTar(entries)), name)

  const rejection = async (entries: ReadonlyArray<TarInput>) => {
    try {
      await apply(entries)
    } catch (error) {
      return error as Record<string, unknown>
    }
    throw new Error("expected UnsafeArchiveEntry")
  }

  const outsideUntouched = () => {
    expect(fs.readdirSync(outside)).toEqual(["target.txt"])
    expect(fs.readFileSync(path.join(outside, "target.txt"), "utf8")).toBe("host file\n")
    expect(fs.readdirSync(path.join(sandbox, "a", "b"))).toEqual(["root"])
  }

  it("rejects a name that climbs out with ..", async () => {
    const error = await rejection([{ name: "../../../outside/escaped.txt", content: "x" }])
    expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry", layer: "sha256:test", entry: "../../../outside/escaped.txt" })
    outsideUntouched()
  })

  it("accepts .. that stays inside and absolute names (as relative to the root)", async () => {
    await apply([
      { name: "/etc/", type: "directory" },
      { name: "/etc/abs.txt", content: "abs" },
      { name: "etc/../inside.txt", content: "in" }
    ])
    expect(fs.readFileSync(path.join(root, "etc", "abs.txt"), "utf8")).toBe("abs")
    expect(fs.readFileSync(path.join(root, "inside.txt"), "utf8")).toBe("in")
  })

  it("rejects writing through a symlinked parent whose relative target leaves the root", async () => {
    const error = await rejection([
      { name: "evil", type: "symlink", linkname: "../../../outside" },
      { name: "evil/escaped.txt", content: "x" }
    ])
    expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry", entry: "evil/escaped.txt" })
    expect(String(error.reason)).toContain("symlinked parent")
    outsideUntouched()
  })

  it("rejects the same trick spread over two layers", async () => {
    await apply([{ name: "evil", type: "symlink", linkname: "../../../outside" }])
    const error = await rejection([{ name: "evil/escaped.txt", content: "x" }])
    expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry" })
    outsideUntouched()
  })

  it("resolves an absolute symlinked parent inside the root, as the guest sees it", async () => {
    await apply([
      { name: "real/", type: "directory" },
      { name: "abs", type: "symlink", linkname: `/real` },
      { name: "abs/through.txt", content: "in" },
      { name: "hostpath", type: "symlink", linkname: outside },
      { name: "hostpath/planted.txt", content: "x" }
    ])
    expect(fs.readFileSync(path.join(root, "real", "through.txt"), "utf8")).toBe("in")
    // the host path is recreated inside the root instead of being followed on the host
    expect(fs.readFileSync(path.join(root, outside, "planted.txt"), "utf8")).toBe("x")
    outsideUntouched()
  })

  it("replaces a symlink with a file instead of writing through it", async () => {
    await apply([{ name: "victim", type: "symlink", linkname: path.join(outside, "target.txt") }])
    await apply([{ name: "victim", content: "replaced" }])
    expect(fs.lstatSync(path.join(root, "victim")).isFile()).toBe(true)
    expect(fs.readFileSync(path.join(root, "victim"), "utf8")).toBe("replaced")
    outsideUntouched()
  })

  it("replaces a symlink with a directory instead of following it", async () => {
    await apply([{ name: "dir", type: "symlink", linkname: outside }])
    await apply([
      { name: "dir/", type: "directory" },
      { name: "dir/file.txt", content: "inside" }
    ])
    expect(fs.lstatSync(path.join(root, "dir")).isDirectory()).toBe(true)
    outsideUntouched()
  })

  it("rejects a hardlink to a file outside the root", async () => {
    const error = await rejection([{ name: "stolen", type: "hardlink", linkname: "../../../outside/target.txt" }])
    expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry", entry: "stolen" })
    outsideUntouched()
  })

  it("rejects a hardlink through a symlink that leaves the root", async () => {
    const error = await rejection([
      { name: "out", type: "symlink", linkname: "../../../outside" },
      { name: "stolen", type: "hardlink", linkname: "out/target.txt" }
    ])
    expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry", entry: "stolen" })
    outsideUntouched()
  })

  it("resolves an absolute hardlink target inside the root, never on the host", async () => {
    const error = await rejection([{ name: "stolen", type: "hardlink", linkname: path.join(outside, "target.txt") }])
    expect(String(error.reason)).toContain("does not exist")
    outsideUntouched()
  })

  it("rejects whiteouts named . or ..", async () => {
    for (const name of ["sub/.wh..", "sub/.wh..."]) {
      const error = await rejection([{ name: "sub/", type: "directory" }, { name }])
      expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry" })
    }
    outsideUntouched()
  })

  it("ignores a whiteout of an entry from its own layer", async () => {
    await apply([{ name: "same.txt", content: "kept" }, { name: ".wh.same.txt" }])
    expect(fs.readFileSync(path.join(root, "same.txt"), "utf8")).toBe("kept")
  })

  it("applies an opaque marker that precedes the layer's own entries", async () => {
    await apply([
      { name: "d/", type: "directory" },
      { name: "d/old.txt", content: "old" },
      { name: "d/sub/", type: "directory" },
      { name: "d/sub/old.txt", content: "old" }
    ])
    await apply([
      { name: "d/.wh..wh..opq" },
      { name: "d/sub/new.txt", content: "new" }
    ])
    expect(fs.readdirSync(path.join(root, "d"))).toEqual(["sub"])
    expect(fs.readdirSync(path.join(root, "d", "sub"))).toEqual(["new.txt"])
  })

  // issue 12: the opaque clean-up used to run at the end of the layer on a path resolved when
  // the marker was read, so a later symlink swap redirected it to the host
  it("an opaque directory swapped for a symlink to a host directory in the same layer leaves the host directory alone", async () => {
    await apply([
      { name: "d/", type: "directory" },
      { name: "d/lower.txt", content: "lower" }
    ])
    await apply([
      { name: "d/.wh..wh..opq" },
      { name: "d", type: "symlink", linkname: outside }
    ])
    builder.finish()
    expect(fs.readlinkSync(path.join(root, "d"))).toBe(outside)
    outsideUntouched()
  })

  it("an opaque directory whose parent is swapped for a symlink (relative, absolute, or to the root) leaves the host alone", async () => {
    fs.mkdirSync(path.join(outside, "d"))
    fs.writeFileSync(path.join(outside, "d", "host.txt"), "host")
    for (const target of ["../../../outside", outside, "/", "."]) {
      await apply([
        { name: "p/", type: "directory" },
        { name: "p/d/", type: "directory" },
        { name: "p/d/lower.txt", content: "lower" }
      ])
      await apply([
        { name: "p/d/.wh..wh..opq" },
        { name: "p", type: "symlink", linkname: target },
        { name: "p/d/late.txt", content: "late" }
      ]).catch((error: unknown) => expect(error).toMatchObject({ _tag: "UnsafeArchiveEntry" }))
      builder.finish()
      expect(fs.readdirSync(path.join(outside, "d"))).toEqual(["host.txt"])
      expect(fs.readdirSync(outside).sort()).toEqual(["d", "target.txt"])
      fs.rmSync(path.join(root, "p"), { recursive: true, force: true })
    }
  })

  it("a directory swapped for a symlink after its mode was recorded keeps the mode off the symlink's target", async () => {
    fs.chmodSync(outside, 0o755)
    await apply([
      { name: "m/", type: "directory", mode: 0o700 },
      { name: "m", type: "symlink", linkname: outside }
    ])
    await apply([{ name: "n/", type: "directory", mode: 0o500 }, { name: "n", type: "symlink", linkname: "../../../outside" }])
    builder.finish()
    expect(fs.statSync(outside).mode & 0o777).toBe(0o755)
    outsideUntouched()
  })

  it("applies an opaque marker that follows the layer's own entries in the same directory", async () => {
    await apply([
      { name: "d/", type: "directory" },
      { name: "d/old.txt", content: "old" }
    ])
    await apply([
      { name: "d/new.txt", content: "new" },
      { name: "d/.wh..wh..opq" }
    ])
    expect(fs.readdirSync(path.join(root, "d"))).toEqual(["new.txt"])
  })

  it("a whiteout in a directory that does not exist is a no-op and creates nothing", async () => {
    await apply([{ name: "nowhere/.wh.thing" }])
    expect(fs.readdirSync(root)).toEqual([])
  })

  it("unlinks a hardlinked name before rewriting it, leaving the other name intact", async () => {
    await apply([
      { name: "one", content: "shared" },
      { name: "two", type: "hardlink", linkname: "one" }
    ])
    await apply([{ name: "two", content: "rewritten" }])
    expect(fs.readFileSync(path.join(root, "one"), "utf8")).toBe("shared")
    expect(fs.readFileSync(path.join(root, "two"), "utf8")).toBe("rewritten")
  })

  it("reports a corrupt archive as CorruptLayer", async () => {
    const broken = writeTar([{ name: "a", content: "x" }])
    broken[0] = 0x7a
    await expect(builder.applyLayer(streamOf(broken), "sha256:broken")).rejects.toMatchObject({ _tag: "CorruptLayer", layer: "sha256:broken" })
  })

  it("makes directories writable while unpacking and applies their modes at the end", async () => {
    await apply([
      { name: "ro/", type: "directory", mode: 0o555 },
      { name: "ro/file", content: "x", mode: 0o444 }
    ])
    await apply([{ name: "ro/second", content: "y" }])
    builder.finish()
    expect(fs.statSync(path.join(root, "ro")).mode & 0o777).toBe(0o555)
    expect(fs.readdirSync(path.join(root, "ro")).sort()).toEqual(["file", "second"])
  })
})

describe("ImageConfig helpers on a rootfs", () => {
  let root: string
  beforeEach(async () => {
    root = makeTempDir("rootfs-helpers")
    const builder = new RootfsBuilder(root, { preserveOwnership: false })
    await builder.applyLayer(
      streamOf(
        writeTar([
          { name: "bin/", type: "directory" },
          { name: "bin/busybox", content: "#!", mode: 0o755 },
          { name: "bin/echo", type: "symlink", linkname: "/bin/busybox" },
          { name: "usr/", type: "directory" },
          { name: "usr/bin", type: "symlink", linkname: "../bin" },
          { name: "etc/", type: "directory" },
          { name: "etc/not-exec", content: "x", mode: 0o644 },
          { name: "etc/passwd", content: "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n" },
          { name: "etc/group", content: "root:x:0:\nstaff:x:50:\n" }
        ])
      ),
      "sha256:helpers"
    )
  })
  afterEach(() => removeDir(root))

  it("finds executables in PATH inside the rootfs, following symlinks within it", () => {
    expect(ImageConfig.findExecutable(root, "echo")).toBe("/usr/bin/echo")
    expect(ImageConfig.findExecutable(root, "echo", [{ key: "PATH", value: "/bin" }])).toBe("/bin/echo")
    expect(ImageConfig.findExecutable(root, "/bin/echo")).toBe("/bin/echo")
    expect(ImageConfig.findExecutable(root, "not-exec", [{ key: "PATH", value: "/etc" }])).toBeUndefined()
    expect(ImageConfig.findExecutable(root, "missing")).toBeUndefined()
  })

  it("resolves absolute symlinks against the rootfs, not the host", () => {
    expect(ImageConfig.resolveInRootfs(root, "/usr/bin/echo")?.guestPath).toBe("/bin/busybox")
  })

  it("resolves image users by name, number and group", () => {
    expect(ImageConfig.resolveUser(root, undefined)).toEqual({ uid: 0, gid: 0 })
    expect(ImageConfig.resolveUser(root, "app")).toEqual({ uid: 1000, gid: 1001 })
    expect(ImageConfig.resolveUser(root, "app:staff")).toEqual({ uid: 1000, gid: 50 })
    expect(ImageConfig.resolveUser(root, "1000")).toEqual({ uid: 1000, gid: 1001 })
    expect(ImageConfig.resolveUser(root, "4242:7")).toEqual({ uid: 4242, gid: 7 })
    expect(() => ImageConfig.resolveUser(root, "nobody")).toThrow(expect.objectContaining({ _tag: "InvalidImageUser", user: "nobody" }))
  })
})
