/**
 * `krunbox doctor`: what this host has, and which engines can run here.
 *
 * @since 0.1.0
 */
import { KrunFeature, KrunFeatureCargoName, type KrunFeatureName, Libkrun } from "@krunbox/ffi"
import { Cause, Effect, Exit, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { cachePaths, defaultCacheDir } from "./CachePaths.js"
import { readElfInfo } from "./internal/elf.js"
import { findRunsc } from "./internal/runscStep.js"
import * as Manifest from "./Manifest.js"

/**
 * What a boot probe found (JSON-able). The SDK's `probeBoot` returns it.
 *
 * @since 0.1.0
 * @category models
 */
export interface BootProbeResult {
  /** A guest kernel booted and the workload's status came back. */
  readonly booted: boolean
  /** The guest init reported `ready` on the control channel. */
  readonly ready: boolean
  /** The probe workload's status (42 when it ran), null when none came back. */
  readonly status: number | null
  /** Why it did not boot (or what was odd), null when all is well. */
  readonly reason: string | null
  /** How long the probe took. */
  readonly ms: number
}

/**
 * Boots a VM running a trivial workload within `timeoutMs`; never throws. Booting needs an
 * engine, which lives above this package: the SDK passes its own (`@krunbox/sdk`'s
 * `Doctor.report` does so by default).
 *
 * @since 0.1.0
 * @category models
 */
export type BootProbe = (timeoutMs: number) => Promise<BootProbeResult>

/**
 * @since 0.1.0
 * @category models
 */
export type KvmFlavour = "pvm" | "nested" | "plain" | "none"

/**
 * @since 0.1.0
 * @category models
 */
export interface EngineVerdict {
  readonly usable: boolean
  readonly reason: string
}

/**
 * The whole report; plain JSON.
 *
 * @since 0.1.0
 * @category models
 */
export interface DoctorReport {
  readonly schema: 1
  readonly host: {
    readonly os: string
    readonly release: string
    readonly arch: string
    readonly node: string
    readonly cpus: number
    readonly root: boolean
  }
  readonly kvm: {
    readonly present: boolean
    readonly readable: boolean
    readonly writable: boolean
    readonly flavour: KvmFlavour
    readonly detail: string
  }
  readonly cacheDir: string
  readonly manifest: { readonly path: string; readonly present: boolean; readonly problem: string | null }
  readonly libkrun: {
    readonly loaded: boolean
    readonly path: string | null
    readonly source: string | null
    readonly version: string | null
    readonly features: Readonly<Record<string, boolean>>
    readonly maxVcpus: number | null
    readonly embedsKrunboxInit: boolean | null
    readonly error: { readonly _tag: string; readonly message: string } | null
  }
  readonly libkrunfw: {
    readonly loaded: boolean
    readonly path: string | null
    readonly version: string | null
    readonly abiVersion: number | null
    readonly error: { readonly _tag: string; readonly message: string } | null
  }
  readonly init: {
    readonly path: string
    readonly sha256: string
    readonly protocol: number
    readonly present: boolean
    readonly static: boolean
  } | null
  readonly rootfs: { readonly path: string; readonly busybox: string; readonly hasShell: boolean } | null
  readonly runsc: { readonly path: string; readonly version: string } | null
  readonly bootProbe: {
    readonly ran: boolean
    readonly skipped: string | null
    readonly result: BootProbeResult | null
  }
  readonly engines: { readonly libkrun: EngineVerdict; readonly gvisor: EngineVerdict }
  /** True when at least one engine can run workloads here (`krunbox doctor` exits 0). */
  readonly ok: boolean
  readonly verdict: string
  readonly hints: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DoctorOptions {
  /** Boot a VM to prove microVMs work (skipped under PVM, and without a `probe`). Default false. */
  readonly bootProbe?: boolean
  /** The probe to run (`@krunbox/sdk`'s `probeBoot`); without one no VM is booted. */
  readonly probe?: BootProbe
  /** Default 30 s. */
  readonly probeTimeoutMs?: number
  readonly cacheDir?: string
}

/**
 * The verdict under PVM (shown instead of running the boot probe).
 *
 * @since 0.1.0
 * @category constants
 */
export const PVM_VERDICT = "cannot boot standard guest kernels under PVM (kvm_pvm)"

const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

const canOpen = (file: string, flags: number): boolean => {
  try {
    fs.closeSync(fs.openSync(file, flags))
    return true
  } catch {
    return false
  }
}

/**
 * Detects the KVM flavour from /dev/kvm, /sys/module and /proc/cpuinfo (`root` is for tests).
 *
 * @since 0.1.0
 * @category probes
 */
export const detectKvm = (root = "/"): DoctorReport["kvm"] => {
  const at = (p: string) => path.join(root, p)
  const present = fs.existsSync(at("dev/kvm"))
  const readable = present && canOpen(at("dev/kvm"), fs.constants.O_RDONLY)
  const writable = present && canOpen(at("dev/kvm"), fs.constants.O_RDWR)
  if (!present) return { present, readable, writable, flavour: "none", detail: "/dev/kvm does not exist" }
  if (fs.existsSync(at("sys/module/kvm_pvm"))) {
    return { present, readable, writable, flavour: "pvm", detail: "module kvm_pvm is loaded: a PVM nested hypervisor" }
  }
  const nested = ["kvm_intel", "kvm_amd"]
    .map((m) => [m, readText(at(`sys/module/${m}/parameters/nested`))?.trim()] as const)
    .find(([, v]) => v !== undefined)
  const guest = /^flags\s*:.*\bhypervisor\b/m.test(readText(at("proc/cpuinfo")) ?? "")
  if (guest) {
    const param = nested === undefined ? "" : ` (${nested[0]}.nested=${nested[1]})`
    return { present, readable, writable, flavour: "nested", detail: `this host is itself a virtual machine${param}` }
  }
  return { present, readable, writable, flavour: "plain", detail: nested === undefined ? "bare-metal KVM" : `bare-metal KVM (${nested[0]})` }
}

const errorInfo = (error: unknown) => ({
  _tag: typeof (error as { _tag?: unknown })?._tag === "string" ? (error as { _tag: string })._tag : "Error",
  message: error instanceof Error ? error.message : String(error)
})

const ALL_FEATURES = Object.keys(KrunFeature) as Array<KrunFeatureName>

const inspectLibraries = (cacheDir: string, kvmUsable: boolean) => {
  let libkrun: DoctorReport["libkrun"] = {
    loaded: false,
    path: null,
    source: null,
    version: null,
    features: {},
    maxVcpus: null,
    embedsKrunboxInit: null,
    error: null
  }
  let libkrunfw: DoctorReport["libkrunfw"] = { loaded: false, path: null, version: null, abiVersion: null, error: null }
  try {
    const krun = Libkrun.load({ cacheDir })
    const features: Record<string, boolean> = {}
    for (const name of ALL_FEATURES) {
      try {
        features[KrunFeatureCargoName[name]] = krun.hasFeature(KrunFeature[name])
      } catch {
        // libkrun < 1.16 has no krun_has_feature: leave the map empty
      }
    }
    let maxVcpus: number | null = null
    if (kvmUsable) {
      try {
        maxVcpus = krun.getMaxVcpus()
      } catch {
        maxVcpus = null
      }
    }
    libkrun = { ...libkrun, loaded: true, path: krun.realPath, source: krun.source, version: krun.version ?? null, features, maxVcpus }
    const fw = krun.libkrunfw
    if (fw !== undefined) {
      let abiVersion: number | null = null
      try {
        abiVersion = fw.getVersion()
      } catch (error) {
        libkrunfw = { ...libkrunfw, error: errorInfo(error) }
      }
      libkrunfw = { ...libkrunfw, loaded: true, path: fw.realPath, version: fw.version ?? null, abiVersion }
    }
  } catch (error) {
    const info = errorInfo(error)
    if (libkrun.loaded) libkrunfw = { ...libkrunfw, error: info }
    else libkrun = { ...libkrun, error: info }
  }
  if (!libkrunfw.loaded && libkrunfw.error === null && libkrun.error !== null) {
    libkrunfw = { ...libkrunfw, error: { _tag: "NotChecked", message: "libkrun did not load" } }
  }
  return { libkrun, libkrunfw }
}

/**
 * Inspects the host and the native runtime; with `bootProbe`, also boots a VM (never under PVM).
 * Never throws: every problem is a value in the report.
 *
 * @since 0.1.0
 * @category doctor
 */
export const report = async (options: DoctorOptions = {}): Promise<DoctorReport> => {
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const paths = cachePaths(cacheDir)
  const kvm = detectKvm()
  const manifestExit = await Effect.runPromiseExit(Manifest.read(paths.manifest))
  const manifest = Exit.isSuccess(manifestExit) ? manifestExit.value : undefined
  const manifestProblem = Exit.isSuccess(manifestExit)
    ? null
    : Option.match(Cause.findErrorOption(manifestExit.cause), {
        onNone: () => "unreadable",
        onSome: (error) => error.problem
      })
  const kvmUsable = kvm.present && kvm.readable && kvm.writable
  const { libkrun: libkrunInfo, libkrunfw } = inspectLibraries(cacheDir, kvmUsable)
  const libkrun: DoctorReport["libkrun"] = {
    ...libkrunInfo,
    embedsKrunboxInit:
      manifest !== undefined && libkrunInfo.path !== null && fs.existsSync(manifest.libkrun.path) &&
      fs.realpathSync(manifest.libkrun.path) === libkrunInfo.path
        ? manifest.init.embeddedInLibkrun
        : null
  }
  const init = manifest === undefined
    ? null
    : (() => {
        const present = fs.existsSync(manifest.init.path)
        let isStatic = false
        if (present) {
          try {
            const elf = readElfInfo(manifest.init.path)
            isStatic = elf.isElf && !elf.hasInterpreter && !elf.hasDynamicSection
          } catch {
            isStatic = false
          }
        }
        return { path: manifest.init.path, sha256: manifest.init.sha256, protocol: manifest.init.protocol, present, static: isStatic }
      })()
  const rootfs = manifest === undefined
    ? null
    : { path: manifest.rootfs.path, busybox: manifest.rootfs.busybox, hasShell: fs.existsSync(path.join(manifest.rootfs.path, "bin", "sh")) }
  const runsc = findRunsc() ?? null

  let bootProbe: DoctorReport["bootProbe"] = { ran: false, skipped: "not requested (bootProbe: false)", result: null }
  if (options.bootProbe === true) {
    if (kvm.flavour === "pvm") bootProbe = { ran: false, skipped: PVM_VERDICT, result: null }
    else if (!kvmUsable) bootProbe = { ran: false, skipped: `/dev/kvm is not usable: ${kvm.detail}`, result: null }
    else if (!libkrun.loaded) bootProbe = { ran: false, skipped: "libkrun is not loadable", result: null }
    else if (options.probe === undefined) bootProbe = { ran: false, skipped: "no boot probe given (an engine boots it: @krunbox/sdk's Doctor.report passes one)", result: null }
    else {
      const probe = options.probe
      const started = performance.now()
      try {
        bootProbe = { ran: true, skipped: null, result: await probe(options.probeTimeoutMs ?? 30_000) }
      } catch (error) {
        bootProbe = {
          ran: true,
          skipped: null,
          result: { booted: false, ready: false, status: null, reason: errorInfo(error).message, ms: performance.now() - started }
        }
      }
    }
  }

  const libkrunVerdict = ((): EngineVerdict => {
    if (!kvm.present) return { usable: false, reason: "/dev/kvm does not exist (no KVM on this host)" }
    if (!kvmUsable) return { usable: false, reason: "/dev/kvm is not readable and writable by this user (add yourself to group kvm)" }
    if (kvm.flavour === "pvm") return { usable: false, reason: PVM_VERDICT }
    if (!libkrun.loaded) return { usable: false, reason: `libkrun does not load: ${libkrun.error?.message ?? "unknown"}` }
    if (!libkrunfw.loaded) return { usable: false, reason: `libkrunfw does not load: ${libkrunfw.error?.message ?? "unknown"}` }
    const result = bootProbe.result
    if (result !== null && !result.booted) return { usable: false, reason: `boot probe failed: ${result.reason ?? "no exit status"}` }
    if (result !== null) return { usable: true, reason: `boot probe booted a VM in ${Math.round(result.ms)} ms` }
    return { usable: true, reason: "libkrun, libkrunfw and /dev/kvm are in place (no boot probe run)" }
  })()
  const gvisorVerdict: EngineVerdict =
    runsc === null
      ? { usable: false, reason: "runsc not found: apt-get install -y runsc (as root)" }
      : { usable: true, reason: `${runsc.version} at ${runsc.path}` }

  const hints: Array<string> = []
  if (manifest === undefined) hints.push("run `krunbox setup` to build and fetch the native runtime")
  if (kvm.flavour === "pvm") {
    hints.push(
      "this host's /dev/kvm is PVM: microVMs boot only one level down, in the emulated-SVM L1 harness (`pnpm test:boot`; slow, for proving behaviour)"
    )
  }
  if (manifest?.libkrun.source === "system") hints.push(`${manifest.libkrun.path}: ${manifest.libkrun.note ?? "system libkrun"}`)
  if (libkrun.embedsKrunboxInit === false) hints.push("the loaded libkrun embeds libkrun's own init: no readiness signal from guests")

  const ok = libkrunVerdict.usable || gvisorVerdict.usable
  const usable = [libkrunVerdict.usable ? "libkrun" : undefined, gvisorVerdict.usable ? "gvisor" : undefined].filter((e) => e !== undefined)
  const verdict = ok ? `engines usable here: ${usable.join(", ")}` : "no engine can run workloads here"

  return {
    schema: 1,
    host: {
      os: `${os.type()} ${os.platform()}`,
      release: os.release(),
      arch: process.arch,
      node: process.version,
      cpus: os.availableParallelism(),
      root: process.getuid?.() === 0
    },
    kvm,
    cacheDir,
    manifest: { path: paths.manifest, present: manifest !== undefined, problem: manifestProblem },
    libkrun,
    libkrunfw,
    init,
    rootfs,
    runsc,
    bootProbe,
    engines: { libkrun: libkrunVerdict, gvisor: gvisorVerdict },
    ok,
    verdict,
    hints
  }
}

const yesNo = (b: boolean) => (b ? "yes" : "no")

/**
 * Renders a report for people (the CLI prints this; `--json` prints the report itself).
 *
 * @since 0.1.0
 * @category doctor
 */
export const format = (r: DoctorReport): string => {
  const lines: Array<string> = []
  const row = (label: string, value: string) => lines.push(`${label.padEnd(12)} ${value}`)
  row("host", `${r.host.os} ${r.host.release} ${r.host.arch}, node ${r.host.node}, ${r.host.cpus} cpus${r.host.root ? ", root" : ""}`)
  row("kvm", r.kvm.present ? `${r.kvm.flavour} (read ${yesNo(r.kvm.readable)}, write ${yesNo(r.kvm.writable)}): ${r.kvm.detail}` : `none: ${r.kvm.detail}`)
  row("cache", `${r.cacheDir}${r.manifest.present ? "" : ` (runtime.json: ${r.manifest.problem ?? "missing"})`}`)
  if (r.libkrun.loaded) {
    const on = Object.entries(r.libkrun.features).filter(([, v]) => v).map(([k]) => k)
    row("libkrun", `${r.libkrun.version ?? "?"} ${r.libkrun.path} [${r.libkrun.source}] features: ${on.join(",") || "none"}; max vCPUs ${r.libkrun.maxVcpus ?? "?"}`)
  } else {
    row("libkrun", `not loaded: ${r.libkrun.error?.message ?? "unknown"}`)
  }
  row("libkrunfw", r.libkrunfw.loaded ? `${r.libkrunfw.version ?? "?"} (ABI ${r.libkrunfw.abiVersion ?? "?"}) ${r.libkrunfw.path}` : `not loaded: ${r.libkrunfw.error?.message ?? "unknown"}`)
  row("init", r.init === null ? "unknown (no runtime.json)" : `${r.init.path} protocol ${r.init.protocol}, static ${yesNo(r.init.static)}${r.init.present ? "" : " (MISSING)"}`)
  row("rootfs", r.rootfs === null ? "unknown (no runtime.json)" : `${r.rootfs.path} busybox ${r.rootfs.busybox}, /bin/sh ${yesNo(r.rootfs.hasShell)}`)
  row("runsc", r.runsc === null ? "not found" : `${r.runsc.version} (${r.runsc.path})`)
  if (r.bootProbe.result !== null) {
    const p = r.bootProbe.result
    row("boot probe", `${p.booted ? "booted" : "did not boot"}, ready ${yesNo(p.ready)}, status ${p.status ?? "none"}, ${Math.round(p.ms)} ms${p.reason === null ? "" : `: ${p.reason}`}`)
  } else {
    row("boot probe", `skipped: ${r.bootProbe.skipped ?? ""}`)
  }
  row("libkrun VMs", `${r.engines.libkrun.usable ? "usable" : "not usable"}: ${r.engines.libkrun.reason}`)
  row("gvisor", `${r.engines.gvisor.usable ? "usable" : "not usable"}: ${r.engines.gvisor.reason}`)
  row("verdict", r.verdict)
  for (const hint of r.hints) lines.push(`hint: ${hint}`)
  return `${lines.join("\n")}\n`
}
