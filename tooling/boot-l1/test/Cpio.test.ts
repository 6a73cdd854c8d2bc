import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { writeCpio } from "../src/Cpio.js"

const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((path) => existsSync(path))

describe("writeCpio", () => {
  it("starts every member with the newc magic and ends with the trailer", () => {
    const archive = writeCpio([{ type: "file", path: "a", mode: 0o644, data: Buffer.from("x") }])
    expect(archive.subarray(0, 6).toString("ascii")).toBe("070701")
    expect(archive.toString("latin1")).toContain("TRAILER!!!\0")
    expect(archive.length % 4).toBe(0)
  })

  it.skipIf(busybox === undefined)("round-trips through busybox cpio (no busybox on this host to check with)", () => {
    const dir = mkdtempSync(join(tmpdir(), "boot-l1-cpio-"))
    try {
      const archive = writeCpio([
        { type: "directory", path: "bin", mode: 0o755 },
        { type: "file", path: "bin/tool", mode: 0o755, data: Buffer.from("#!/bin/sh\necho odd-length\n") },
        { type: "symlink", path: "bin/alias", target: "tool" },
        { type: "file", path: "empty", mode: 0o600, data: new Uint8Array() }
      ])
      writeFileSync(join(dir, "a.cpio"), archive)
      execFileSync(busybox as string, ["cpio", "-i", "-d", "-F", join(dir, "a.cpio")], { cwd: dir, stdio: "pipe" })
      expect(readFileSync(join(dir, "bin", "tool"), "utf8")).toBe("#!/bin/sh\necho odd-length\n")
      expect(statSync(join(dir, "bin", "tool")).mode & 0o777).toBe(0o755)
      expect(readlinkSync(join(dir, "bin", "alias"))).toBe("tool")
      expect(statSync(join(dir, "empty")).size).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
