/**
 * Can this host boot a libkrun microVM? The boot probe answers by booting one (the default
 * rootfs, `/bin/sh -c "exit 42"`), after cheap checks that need no boot (`/dev/kvm` access, PVM,
 * libraries, default rootfs).
 */
import { MicroVmConfig, Rootfs } from "@krunbox/core"
import { defaultCacheDir } from "@krunbox/core/CacheDir"
import { type Doctor, HostChecks } from "@krunbox/runtime"
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { resolveDefaultRootfs } from "../internal/defaultRootfs.js"
import { locateLibrary } from "./libraries.js"
import { launchLibkrun } from "./libkrun.js"

/**
 * What the boot probe found (JSON-able; `Doctor` shows it). Defined by `@krunbox/runtime`'s
 * Doctor, which reports it.
 *
 * @since 0.1.0
 * @category models
 */
export type BootProbeResult = Doctor.BootProbeResult

const PROBE_STATUS = 42

const failed = (startedAt: number, reason: string): BootProbeResult => ({
  booted: false,
  ready: false,
  status: null,
  reason,
  ms: performance.now() - startedAt
})

/**
 * Boots one microVM to find out whether microVMs work here. Never throws.
 *
 * @since 0.1.0
 * @category probes
 */
export const probeBoot = async (timeoutMs = 30_000): Promise<BootProbeResult> => {
  const startedAt = performance.now()
  let rootfs: string
  try {
    HostChecks.checkKvmAccess()
    HostChecks.checkNotPvm()
    if (locateLibrary("libkrun") === undefined) throw new Error("libkrun was not found: run `krunbox setup` or set KRUNBOX_LIBKRUN")
    if (locateLibrary("libkrunfw") === undefined) throw new Error("libkrunfw was not found: run `krunbox setup` or set KRUNBOX_LIBKRUNFW")
    rootfs = resolveDefaultRootfs()
  } catch (error) {
    return failed(startedAt, (error as Error).message)
  }
  let ready = false
  try {
    const config = MicroVmConfig.make({ rootfs: Rootfs.native(rootfs), execPath: "/bin/sh", args: ["-c", `exit ${PROBE_STATUS}`], memoryMib: 256 })
    const session = await launchLibkrun(config, { explicit: new Set() }, {
      onGuestMessage: (message) => {
        if (message.type === "ready") ready = true
      }
    })
    session.stdout.resume()
    session.stderr.resume()
    const timer = setTimeout(() => session.kill("SIGKILL"), timeoutMs)
    const end = await session.ended
    clearTimeout(timer)
    const ms = performance.now() - startedAt
    if (end._tag === "Failed") return failed(startedAt, end.error.message)
    if (end._tag === "Signaled") {
      return { booted: false, ready, status: null, reason: `no guest exit within ${timeoutMs} ms (the guest kernel hung or crashed)`, ms }
    }
    if (end.status !== PROBE_STATUS) {
      return {
        booted: false,
        ready,
        status: end.status,
        reason: `the probe workload should exit ${PROBE_STATUS} but the VM ended with ${end.status}${ready ? "" : " (without its init reporting ready: with a system libkrun a kernel panic or reboot ends with 0)"}`,
        ms
      }
    }
    return {
      booted: true,
      ready,
      status: end.status,
      reason: ready ? null : "the guest ran but its init never reported ready on the control channel (vsock port 1100)",
      ms
    }
  } catch (error) {
    return failed(startedAt, (error as Error).message)
  }
}

interface CachedProbe {
  readonly key: string
  readonly result: BootProbeResult
}

const probeCacheFile = (): string => join(defaultCacheDir(), "boot-probe.json")

const fileStamp = (path: string | null): string => {
  if (path === null) return "-"
  try {
    const stat = statSync(path)
    return `${path}@${stat.size}:${stat.mtimeMs}`
  } catch {
    return `${path}@missing`
  }
}

/** Identifies what the probe result depends on: this boot of the host and the runtime files. */
const probeKey = (): string => {
  let bootId = "unknown"
  try {
    bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  } catch {
    // not Linux or no procfs: the key then changes only with the files
  }
  return [bootId, fileStamp(locateLibrary("libkrun") ?? null), fileStamp(locateLibrary("libkrunfw") ?? null), fileStamp(resolveDefaultRootfs())].join("|")
}

let inMemory: Promise<BootProbeResult> | undefined

/**
 * The boot probe, cached: the cheap checks run every time; a real boot runs once per host boot
 * and runtime (result kept in `<cache>/boot-probe.json`) and once per process.
 *
 * @since 0.1.0
 * @category probes
 */
export const cachedProbeBoot = (timeoutMs = 30_000): Promise<BootProbeResult> => {
  const startedAt = performance.now()
  let key: string
  try {
    HostChecks.checkKvmAccess()
    HostChecks.checkNotPvm()
    key = probeKey()
  } catch (error) {
    return Promise.resolve(failed(startedAt, (error as Error).message))
  }
  inMemory ??= (async () => {
    try {
      const cached = JSON.parse(readFileSync(probeCacheFile(), "utf8")) as CachedProbe
      if (cached.key === key) return cached.result
    } catch {
      // no cache yet
    }
    const result = await probeBoot(timeoutMs)
    try {
      mkdirSync(dirname(probeCacheFile()), { recursive: true })
      writeFileSync(probeCacheFile(), JSON.stringify({ key, result } satisfies CachedProbe, null, 2))
    } catch {
      // a read-only cache only costs a probe per process
    }
    return result
  })()
  return inMemory
}

/**
 * The cached full-probe result for this host boot and runtime, if one exists (never probes).
 *
 * @internal
 */
export const peekCachedProbe = (): BootProbeResult | undefined => {
  try {
    const cached = JSON.parse(readFileSync(probeCacheFile(), "utf8")) as CachedProbe
    return cached.key === probeKey() ? cached.result : undefined
  } catch {
    return undefined
  }
}
