/**
 * Where krunbox keeps what it fetches and builds (the native runtime, the image store). This
 * module imports nothing but Node's `path` and `os`, so the VM runner (which must start fast and
 * never loads Effect) can use it through the `@krunbox/core/CacheDir` entry point.
 *
 * @since 0.1.0
 */
import { homedir } from "node:os"
import { isAbsolute, join, resolve } from "node:path"

/**
 * The environment as it is read (`process.env` by default).
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * The cache directory of `krunbox setup`: `KRUNBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/krunbox`,
 * else `~/.cache/krunbox`. Relative values are ignored, as the XDG spec asks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultCacheDir = (env: Environment = process.env): string => {
  const override = env["KRUNBOX_CACHE_DIR"]
  if (override !== undefined && override !== "") return resolve(override)
  const xdg = env["XDG_CACHE_HOME"]
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "krunbox")
  const home = env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : homedir()
  return join(home, ".cache", "krunbox")
}
