/**
 * The built-in rootfs is shared by every run that names none: each run must see it pristine.
 */
import { readdirSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { MicroVm, Setup } from "../src/index.js"
import { which } from "../src/internal/which.js"
import { prerequisite } from "@krunbox/testing"

const manifest = await Setup.load().catch(() => undefined)
const skipReason = manifest === undefined
  ? "the native runtime is not set up (run: bin/krunbox setup)"
  : which("runsc") === undefined
  ? "runsc is not installed (apt-get install runsc)"
  : ""

const needs = prerequisite(skipReason)

describe.skipIf(needs.skip)(needs.title("default rootfs"), () => {
  it("a workload's writes never reach the cached rootfs or the next run", async () => {
    needs.check()
    const before = readdirSync(manifest!.rootfs.path).sort()
    const writer = await MicroVm.builder()
      .engine("gvisor")
      .execPath("/bin/sh")
      .args(["-c", "echo changed > /etc/hostname-probe && mkdir /made-by-guest && rm /bin/ls"])
      .build()
      .run()
    expect(writer.status).toBe(0)

    const reader = await MicroVm.builder()
      .engine("gvisor")
      .execPath("/bin/sh")
      .args(["-c", "ls / && test ! -e /etc/hostname-probe && test ! -e /made-by-guest && test -e /bin/ls"])
      .build()
      .run()
    expect(reader.status, reader.stdout + reader.stderr).toBe(0)
    expect(readdirSync(manifest!.rootfs.path).sort()).toEqual(before)
  })
})
