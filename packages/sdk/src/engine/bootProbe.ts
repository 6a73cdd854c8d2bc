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

/**
 * How long a failed full probe is believed: 10 minutes. A success is kept for the host boot and
 * runtime files (its key), but one flaky failure (a slow host timing the probe out, a transient
 * error) must not pin engine "auto" to gvisor until the next reboot.
 *
 * @since 0.1.0
 * @category probes
 */
export const FAILED_PROBE_TTL_MS = 10 * 60_000

/** @internal */
export interface CachedProbe {
  readonly key: string
  readonly result: BootProbeResult
  /** When the probe ran (ms since the epoch); entries written before it existed have none. */
  readonly at?: number
}

/**
 * Whether a cached probe still answers for this host boot and runtime: a success always, a
 * failure only for {@link FAILED_PROBE_TTL_MS} after it was seen (never when its age is unknown
 * or negative, i.e. the clock went back).
 *
 * @internal
 */
export const isFresh = (entry: CachedProbe, key: string, now: number): boolean => {
  if (entry.key !== key) return false
  if (entry.result.booted) return true
  if (typeof entry.at !== "number") return false
  const age = now - entry.at
  return age >= 0 && age < FAILED_PROBE_TTL_MS
}

const readCached = (file: string, key: string, now: number): CachedProbe | undefined => {
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as CachedProbe
    return isFresh(cached, key, now) ? cached : undefined
  } catch {
    return undefined
  }
}

const writeCached = (file: string, entry: CachedProbe): void => {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify(entry, null, 2))
  } catch {
    // a read-only cache only costs a probe per process
  }
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

/**
 * What the probe cache works with (the real ones in {@link cachedProbeBoot}; tests give their own).
 *
 * @internal
 */
export interface ProbeCacheDeps {
  readonly file: string
  readonly key: string
  readonly now: () => number
  readonly probe: () => Promise<BootProbeResult>
}

/** The probe this process ran or read last, per cache file (a failure expires here too). */
const inMemory = new Map<string, { readonly key: string; readonly entry: Promise<CachedProbe> }>()

/**
 * The probe result for `deps.key`: from this process's memory or the cache file while it is
 * fresh, else a new probe (one at a time per file), then kept in both.
 *
 * @internal
 */
export const cachedProbe = async (deps: ProbeCacheDeps): Promise<BootProbeResult> => {
  const held = inMemory.get(deps.file)
  if (held !== undefined && held.key === deps.key) {
    const entry = await held.entry
    if (isFresh(entry, deps.key, deps.now())) return entry.result
    if (inMemory.get(deps.file) !== held) return cachedProbe(deps) // another caller renewed it meanwhile
  }
  const renewed = (async (): Promise<CachedProbe> => {
    const cached = readCached(deps.file, deps.key, deps.now())
    if (cached !== undefined) return cached
    const result = await deps.probe()
    const entry: CachedProbe = { key: deps.key, result, at: deps.now() }
    writeCached(deps.file, entry)
    return entry
  })()
  inMemory.set(deps.file, { key: deps.key, entry: renewed })
  return (await renewed).result
}

/**
 * The boot probe, cached: the cheap checks run every time; a real boot runs once per host boot
 * and runtime when it succeeds (result kept in `<cache>/boot-probe.json`), and again after
 * {@link FAILED_PROBE_TTL_MS} when it failed.
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
  return cachedProbe({ file: probeCacheFile(), key, now: Date.now, probe: () => probeBoot(timeoutMs) })
}

/**
 * The cached full-probe result for this host boot and runtime, if one exists and is fresh
 * (never probes).
 *
 * @internal
 */
export const peekCachedProbe = (): BootProbeResult | undefined => {
  try {
    return readCached(probeCacheFile(), probeKey(), Date.now())?.result
  } catch {
    return undefined
  }
}
