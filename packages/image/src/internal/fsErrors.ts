import { DiskFull, type ImageError, ImageStoreIoError, isImageError } from "../errors.js"

/**
 * Maps a Node file system error on `path` to DiskFull or ImageStoreIoError; passes image
 * errors through unchanged.
 *
 * @internal
 */
export const fromFsError = (cause: unknown, path: string, operation: string): ImageError => {
  if (isImageError(cause)) return cause
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "EUNKNOWN"
  if (code === "ENOSPC" || code === "EDQUOT") return new DiskFull({ path, operation })
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ImageStoreIoError({ path, operation, code, detail })
}
