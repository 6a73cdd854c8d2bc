import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { busyboxMissingReason, busyboxPath } from "@krunbox/testing"

export const busybox = busyboxPath

export const hasBusybox = busyboxMissingReason === undefined

/**
 * A minimal rootfs: a static busybox and its applets as symlinks, plus the usual mount points.
 * Returned inside a fresh temp dir (the caller removes `dir`).
 */
export const makeBusyboxRootfs = (): { readonly dir: string; readonly rootfs: string } => {
  const dir = mkdtempSync(join(tmpdir(), "krunbox-test-rootfs-"))
  const rootfs = join(dir, "rootfs")
  for (const sub of ["bin", "proc", "sys", "dev", "tmp", "etc", "root", "work"]) mkdirSync(join(rootfs, sub), { recursive: true })
  copyFileSync(busybox, join(rootfs, "bin", "busybox"))
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter((name) => name !== "" && name !== "busybox")
  for (const applet of applets) symlinkSync("busybox", join(rootfs, "bin", applet))
  return { dir, rootfs }
}
