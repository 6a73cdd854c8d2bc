import { mkdirSync, statSync } from "node:fs"
import { basename, dirname, join, resolve } from "node:path"
import { OverlayUnavailable } from "../errors.js"
import { removeTree } from "./tempDirs.js"
import { which } from "./which.js"

/**
 * How an overlayfs rootfs is assembled on this host (both engines use it):
 *
 * - the engine's host process is started under `unshare --mount --propagation private`, so it
 *   has a private mount namespace that disappears with it (no mount can leak, even on SIGKILL);
 * - inside that namespace a kernel overlay is mounted on an empty `merged` dir of the VM's temp
 *   dir: `lowerdir` = the lower layers (topmost first), `upperdir` = the last path (the one writable
 *   layer), `workdir` = an empty dir on the upper's filesystem (overlayfs requires that);
 * - libkrun then shares `merged` as the guest root (`krun_set_root` takes one dir); runsc gets it
 *   as the bundle's root path.
 *
 * Needs: root (CAP_SYS_ADMIN in the initial user namespace) and `unshare` (util-linux). The lower
 * dirs are never written; the upper dir receives every change of the run.
 */
export interface OverlayPlan {
  readonly lowers: ReadonlyArray<string>
  readonly upper: string
  readonly merged: string
  readonly workDir: string
  /** `mount -o` data for overlayfs. */
  readonly mountData: string
  /** Prefix that runs a command in a private mount namespace. */
  readonly unshareArgv: ReadonlyArray<string>
  /** Removes the work dir (the merged dir lives in the VM temp dir). */
  cleanup(): void
}

export const prepareOverlay = (paths: ReadonlyArray<string>, vmTempDir: string): OverlayPlan => {
  const fail = (reason: string, cause?: unknown): never => {
    throw new OverlayUnavailable({ paths, reason, ...(cause === undefined ? {} : { cause }) })
  }
  if (paths.length < 2) fail("it needs at least one lower layer and one upper (writable) layer")
  for (const path of paths) {
    // overlayfs splits its mount data on "," and lowerdir on ":"
    if (/[,:\n]/.test(path)) fail(`the path ${JSON.stringify(path)} contains "," ":" or a newline, which overlayfs mount options cannot express`)
  }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    fail("this process is not root; a kernel overlay mount needs CAP_SYS_ADMIN")
  }
  const unshare = which("unshare") ?? fail("`unshare` (util-linux) is not on PATH")
  const absolute = paths.map((path) => resolve(path))
  const upper = absolute[absolute.length - 1] as string
  const lowers = absolute.slice(0, -1).reverse()
  for (const dir of absolute) {
    try {
      if (!statSync(dir).isDirectory()) fail(`${dir} is not a directory`)
    } catch (cause) {
      if (OverlayUnavailable.isInstance(cause)) throw cause
      fail(`${dir} cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause)
    }
  }
  const merged = join(vmTempDir, "merged")
  mkdirSync(merged)
  // overlayfs wants its workdir on the upper's filesystem: the VM temp dir when it is the same
  // device, else a hidden sibling of the upper dir (removed after the run)
  const sameDevice = statSync(vmTempDir).dev === statSync(upper).dev
  const workDir = sameDevice
    ? join(vmTempDir, "overlay-work")
    : join(dirname(upper), `.krunbox-work-${basename(upper)}-${basename(vmTempDir)}`)
  try {
    mkdirSync(workDir)
  } catch (cause) {
    fail(`cannot create the overlay work dir ${workDir} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause)
  }
  return {
    lowers,
    upper,
    merged,
    workDir,
    mountData: `lowerdir=${lowers.join(":")},upperdir=${upper},workdir=${workDir}`,
    unshareArgv: [unshare, "--mount", "--propagation", "private", "--"],
    cleanup: () => {
      if (!sameDevice) removeTree(workDir)
    }
  }
}
