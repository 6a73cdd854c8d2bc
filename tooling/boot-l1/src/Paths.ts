import { homedir } from "node:os"
import { isAbsolute, join, resolve } from "node:path"

/**
 * krunbox's cache root, resolved like the SDK does (docs/architecture.md): `KRUNBOX_CACHE_DIR`,
 * else `$XDG_CACHE_HOME/krunbox`, else `~/.cache/krunbox`.
 *
 * @since 0.1.0
 * @category paths
 */
export const krunboxCacheDir = (env: NodeJS.ProcessEnv = process.env): string => {
  const explicit = env["KRUNBOX_CACHE_DIR"]
  if (explicit !== undefined && explicit !== "") return resolve(explicit)
  const xdg = env["XDG_CACHE_HOME"]
  const base = xdg !== undefined && xdg !== "" && isAbsolute(xdg) ? xdg : join(homedir(), ".cache")
  return join(base, "krunbox")
}

/**
 * Where the harness keeps its own downloads and builds: `<cache>/l1`. Kept inside krunbox's
 * cache so one `rm -rf` clears everything, but never copied into the L1 itself.
 *
 * @since 0.1.0
 * @category paths
 */
export const l1CacheDir = (env: NodeJS.ProcessEnv = process.env): string => join(krunboxCacheDir(env), "l1")
