import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { defaultCacheDir } from "@krunbox/core/CacheDir"

/**
 * The static busybox the test fixtures are built from: `KRUNBOX_TEST_BUSYBOX`, else the one
 * `krunbox setup` unpacked from Debian's busybox-static into the default rootfs (so a fresh
 * machine needs no hand-installed package), else the host's `/bin/busybox`.
 */
const fromSetupCache = (): string | undefined => {
  try {
    const manifest = JSON.parse(readFileSync(join(defaultCacheDir(), "runtime.json"), "utf8")) as { rootfs?: { path?: unknown } }
    const path = typeof manifest.rootfs?.path === "string" ? join(manifest.rootfs.path, "bin", "busybox") : undefined
    return path !== undefined && existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

export const busyboxPath: string = process.env["KRUNBOX_TEST_BUSYBOX"] ?? fromSetupCache() ?? "/bin/busybox"

export const busyboxMissingReason: string | undefined = existsSync(busyboxPath)
  ? undefined
  : `no static busybox: run \`bin/krunbox setup\` (or apt-get install busybox-static)`
