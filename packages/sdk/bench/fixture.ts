import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A busybox rootfs in a temp dir (the caller removes `dir`), or undefined without busybox-static. */
export const busyboxRootfs = (): { readonly dir: string; readonly rootfs: string } | undefined => {
  const busybox = process.env["KRUNBOX_TEST_BUSYBOX"] ?? "/bin/busybox"
  if (!existsSync(busybox)) return undefined
  const dir = mkdtempSync(join(tmpdir(), "krunbox-bench-"))
  const rootfs = join(dir, "rootfs")
  for (const sub of ["bin", "proc", "sys", "dev", "tmp", "etc", "root"]) mkdirSync(join(rootfs, sub), { recursive: true })
  copyFileSync(busybox, join(rootfs, "bin", "busybox"))
  for (const applet of execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n")) {
    if (applet !== "" && applet !== "busybox") symlinkSync("busybox", join(rootfs, "bin", applet))
  }
  return { dir, rootfs }
}
