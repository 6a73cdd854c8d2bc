import { existsSync } from "node:fs"
import { DefaultRootfsUnavailable } from "../errors.js"
import { Manifest } from "@krunbox/runtime"

/**
 * The rootfs used when the builder got none: the runtime cache's `rootfs.path` (written by
 * `krunbox setup`).
 */
export const resolveDefaultRootfs = (): string => {
  const read = Manifest.readInstalled()
  if (read._tag === "Missing") {
    throw new DefaultRootfsUnavailable({ manifest: read.path, reason: read.reason, cause: read.cause })
  }
  const path = read.manifest.rootfs?.path
  if (typeof path !== "string" || path === "") {
    throw new DefaultRootfsUnavailable({ manifest: read.path, reason: "it has no rootfs.path" })
  }
  if (!existsSync(path)) {
    throw new DefaultRootfsUnavailable({ manifest: read.path, reason: `its rootfs.path ${path} does not exist` })
  }
  return path
}
