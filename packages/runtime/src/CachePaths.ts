/**
 * Where `krunbox setup` keeps the native runtime (see docs/architecture.md, "Native runtime cache").
 *
 * @since 0.1.0
 */
import { defaultCacheDir } from "@krunbox/core/CacheDir"
import * as path from "node:path"

/**
 * The cache root: `$KRUNBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/krunbox`, else `~/.cache/krunbox`
 * (`@krunbox/core`'s, which @krunbox/ffi's discovery also uses to find runtime.json).
 *
 * @since 0.1.0
 * @category paths
 */
export { defaultCacheDir }

/**
 * Every location inside the cache.
 *
 * @since 0.1.0
 * @category models
 */
export interface CachePaths {
  readonly root: string
  readonly manifest: string
  readonly lock: string
  readonly initDir: string
  readonly libkrunDir: string
  readonly libkrunfwDir: string
  readonly rootfsDir: string
  readonly debsDir: string
  readonly aptDir: string
  readonly buildDir: string
}

/**
 * The paths under a cache root (default: {@link defaultCacheDir}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const cachePaths = (root: string = defaultCacheDir()): CachePaths => ({
  root,
  manifest: path.join(root, "runtime.json"),
  lock: path.join(root, "setup.lock"),
  initDir: path.join(root, "init"),
  libkrunDir: path.join(root, "libkrun"),
  libkrunfwDir: path.join(root, "libkrunfw"),
  rootfsDir: path.join(root, "rootfs"),
  debsDir: path.join(root, "debs"),
  aptDir: path.join(root, "apt"),
  buildDir: path.join(root, "build")
})
