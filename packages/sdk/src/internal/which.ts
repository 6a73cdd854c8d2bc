import { accessSync, constants } from "node:fs"
import { delimiter, isAbsolute, join } from "node:path"

/** The absolute path of an executable on PATH (or the path itself when absolute), or undefined. */
export const which = (name: string, pathEnv: string | undefined = process.env["PATH"]): string | undefined => {
  const candidates = isAbsolute(name)
    ? [name]
    : (pathEnv ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .split(delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // keep looking
    }
  }
  return undefined
}
