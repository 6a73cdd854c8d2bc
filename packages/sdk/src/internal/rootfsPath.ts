import { spawnSync } from "node:child_process"
import { cpSync } from "node:fs"
import { join, resolve } from "node:path"
import type { Rootfs } from "@krunbox/core"
import { type EngineName, EngineUnavailable } from "../errors.js"
import type { LaunchOptions } from "../engine/Engine.js"

/**
 * The host directory a Native rootfs is served from. A rootfs the user named is used in place
 * (it is theirs to change). The built-in default rootfs is shared by every run that names none,
 * so each such run gets a private copy in its VM temp dir (≈2 MiB, a few ms with reflinks):
 * nothing a workload writes can change what the next run sees.
 */
export const nativeRootPath = (
  engine: EngineName,
  rootfs: Rootfs.Native,
  launch: LaunchOptions,
  vmTempDir: string
): string => {
  const source = resolve(rootfs.path)
  if (launch.explicit.has("rootfs")) return source
  const copy = join(vmTempDir, "rootfs")
  const cp = spawnSync("cp", ["-a", "--reflink=auto", source, copy], { encoding: "utf8" })
  if (cp.status === 0) return copy
  try {
    // no GNU cp (e.g. macOS): Node's copy keeps modes and symlinks, which is all busybox needs
    cpSync(source, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
    return copy
  } catch (cause) {
    throw new EngineUnavailable({
      engine,
      reason: `cannot copy the default rootfs ${source} for this run (${cp.stderr.trim() || String(cause)})`,
      fix: "check free space in the temp dir, or pass a rootfs of your own",
      cause
    })
  }
}
