import { spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import { isRoot, run, which } from "./Exec.js"
import { QemuUnavailable } from "./errors.js"
import type { ProgressMonitor, Stall } from "./Progress.js"

/**
 * The QEMU binary the harness drives (Debian package `qemu-system-x86`).
 *
 * @since 0.1.0
 * @category constants
 */
export const QEMU_BINARY = "qemu-system-x86_64"

/**
 * A QEMU found (or installed) on the host.
 *
 * @since 0.1.0
 * @category models
 */
export interface Qemu {
  readonly path: string
  /** First line of `--version`. */
  readonly version: string
}

const probe = async (path: string): Promise<Qemu> => {
  const { stdout } = await run(path, ["--version"], { hint: "reinstall qemu-system-x86" })
  return { path, version: stdout.split("\n")[0]?.trim() ?? "" }
}

/**
 * QEMU from PATH; when absent and running as root, installs Debian's `qemu-system-x86` with
 * apt-get (without recommends: the harness needs no display, audio or networking backends).
 *
 * @since 0.1.0
 * @category constructors
 */
export const ensureQemu = async (log: (line: string) => void): Promise<Qemu> => {
  const found = await which(QEMU_BINARY)
  if (found !== undefined) return probe(found)
  if (!isRoot()) throw new QemuUnavailable(QEMU_BINARY, "not on PATH, and installing it needs root")
  if ((await which("apt-get")) === undefined) throw new QemuUnavailable(QEMU_BINARY, "not on PATH, and this host has no apt-get to install it")
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  const install = () =>
    run("apt-get", ["install", "-y", "--no-install-recommends", "qemu-system-x86"], { env, hint: "apt-get could not install qemu-system-x86" })
  log("installing qemu-system-x86 with apt-get (root)")
  try {
    await install()
  } catch {
    log("apt-get install failed; running apt-get update once and retrying")
    await run("apt-get", ["update"], { env, hint: "apt-get update failed; check the host's apt sources" })
    await install()
  }
  const installed = await which(QEMU_BINARY)
  if (installed === undefined) throw new QemuUnavailable(QEMU_BINARY, "apt-get installed qemu-system-x86 but the binary is still not on PATH")
  return probe(installed)
}

/**
 * The default emulated CPU: QEMU's baseline x86-64 model plus SVM with nested paging (so the L1
 * loads kvm_amd) and SSSE3/SSE4.x/POPCNT, which V8 needs for WebAssembly SIMD — vite's module
 * lexer is Wasm SIMD, and without them every test file fails to load ("Wasm SIMD unsupported").
 * `EPYC` and `max` work as well.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CPU = "qemu64,+svm,+npt,+ssse3,+sse4.1,+sse4.2,+popcnt"

/**
 * The emulated machine.
 *
 * @since 0.1.0
 * @category models
 */
export interface MachineConfig {
  /** `tcg,thread=multi` (software CPU) by default; `kvm` only on a host with real nested KVM. */
  readonly accel: string
  /** An AMD model with SVM so the L1 can load kvm_amd, e.g. `qemu64,+svm,+npt`, `EPYC`, `max`. */
  readonly cpu: string
  readonly smp: number
  readonly memoryMib: number
  readonly kernel: string
  readonly initramfs: string
  /** Raw ext4 image attached as the first virtio-blk disk (`/dev/vda` in the L1). */
  readonly disk: string
  /** Extra kernel command-line words. */
  readonly append: ReadonlyArray<string>
}

/**
 * QEMU's argument vector for the L1: q35, no display, no NIC, the serial console on stdout,
 * and no reboot (a guest reboot or panic ends QEMU).
 *
 * @since 0.1.0
 * @category constructors
 */
export const qemuArgs = (config: MachineConfig): ReadonlyArray<string> => [
  "-no-user-config",
  "-nodefaults",
  "-accel", config.accel,
  "-machine", "q35",
  "-cpu", config.cpu,
  "-smp", String(config.smp),
  "-m", String(config.memoryMib),
  "-display", "none",
  "-monitor", "none",
  "-serial", "stdio",
  "-nic", "none",
  "-no-reboot",
  "-kernel", config.kernel,
  "-initrd", config.initramfs,
  "-append", ["console=ttyS0", "panic=-1", "quiet", "loglevel=4", ...config.append].join(" "),
  // cache=unsafe: the image is thrown away after the run, so flushes are wasted work
  "-drive", `file=${config.disk},if=virtio,format=raw,cache=unsafe`
]

/**
 * Marker lines the L1 prints on its console: `krunbox-l1: <stage> <detail...>`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MARKER_PREFIX = "krunbox-l1:"

/**
 * A marker seen on the console, with the host's wall time since QEMU started.
 *
 * @since 0.1.0
 * @category models
 */
export interface StageMark {
  readonly stage: string
  readonly detail: string
  readonly hostMs: number
}

/**
 * How a QEMU run ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface L1Run {
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  readonly timedOut: boolean
  /** The signal this process received that made it kill QEMU, if any. */
  readonly interrupted: NodeJS.Signals | null
  /** Why the progress monitor decided the L1 would never finish (QEMU was killed), if it did. */
  readonly stall: Stall | undefined
  readonly wallMs: number
  readonly stages: ReadonlyArray<StageMark>
  /** The last console lines (bounded), for error reports. */
  readonly consoleTail: string
}

/**
 * Parses a console line into a stage mark, or undefined.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseMarker = (line: string): { readonly stage: string; readonly detail: string } | undefined => {
  const at = line.indexOf(MARKER_PREFIX)
  if (at < 0) return undefined
  const rest = line.slice(at + MARKER_PREFIX.length).trim()
  const [stage = "", ...detail] = rest.split(/\s+/)
  return stage === "" ? undefined : { stage, detail: detail.join(" ") }
}

/**
 * Removes the terminal control sequences SeaBIOS and colourful programs print, and carriage returns.
 *
 * @since 0.1.0
 * @category parsing
 */
// eslint-disable-next-line no-control-regex
export const cleanConsoleLine = (line: string): string => line.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[c()][0-9A-Za-z]?|\r/g, "")

/**
 * Options for {@link bootL1}.
 *
 * @since 0.1.0
 * @category models
 */
export interface BootOptions {
  readonly qemu: Qemu
  readonly machine: MachineConfig
  readonly timeoutMs: number
  /** The full console is written here. */
  readonly consoleLog: string
  readonly onLine: (line: string) => void
  readonly onStage: (mark: StageMark) => void
  /** Judges every console line and, every few seconds, the silence; a stall kills QEMU. */
  readonly monitor?: ProgressMonitor
}

const MONITOR_INTERVAL_MS = 5_000

const CONSOLE_TAIL_LINES = 60

/**
 * Boots the L1 and waits for QEMU to end. QEMU is killed on timeout, on SIGINT/SIGTERM/SIGHUP of
 * this process and when this process exits, so no path leaves it running. (If this process is
 * SIGKILLed, the L1's own watchdog powers it off at the same deadline.)
 *
 * @since 0.1.0
 * @category constructors
 */
export const bootL1 = (options: BootOptions): Promise<L1Run> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(options.qemu.path, qemuArgs(options.machine), { stdio: ["ignore", "pipe", "pipe"] })
    const log = createWriteStream(options.consoleLog)
    const tail: Array<string> = []
    const stages: Array<StageMark> = []
    let timedOut = false
    let interrupted: NodeJS.Signals | null = null
    let stall: Stall | undefined
    let pending = ""

    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    }
    const onSignal = (signal: NodeJS.Signals): void => {
      interrupted = signal
      kill()
    }
    const signals: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]
    signals.forEach((signal) => process.on(signal, onSignal))
    process.on("exit", kill)
    const timer = setTimeout(() => {
      timedOut = true
      kill()
    }, options.timeoutMs)
    const stalled = (found: Stall | undefined): void => {
      if (found === undefined || stall !== undefined) return
      stall = found
      kill()
    }
    const monitorTimer = options.monitor === undefined
      ? undefined
      : setInterval(() => stalled(options.monitor?.check(performance.now() - started)), MONITOR_INTERVAL_MS)

    const line = (raw: string): void => {
      const text = cleanConsoleLine(raw)
      tail.push(text)
      if (tail.length > CONSOLE_TAIL_LINES) tail.shift()
      const marker = parseMarker(text)
      if (marker !== undefined) {
        const mark = { ...marker, hostMs: Math.round(performance.now() - started) }
        stages.push(mark)
        options.onStage(mark)
      }
      options.onLine(text)
      stalled(options.monitor?.line(text, performance.now() - started))
    }
    const feed = (chunk: Buffer): void => {
      log.write(chunk)
      pending += chunk.toString("utf8")
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      lines.forEach(line)
    }
    child.stdout.on("data", feed)
    child.stderr.on("data", feed)

    const cleanup = (): void => {
      clearTimeout(timer)
      clearInterval(monitorTimer)
      signals.forEach((signal) => process.off(signal, onSignal))
      process.off("exit", kill)
    }
    child.on("error", (error) => {
      cleanup()
      log.end()
      reject(new QemuUnavailable(options.qemu.path, error.message))
    })
    child.on("close", (exitCode, signal) => {
      cleanup()
      if (pending !== "") line(pending)
      log.end(() =>
        resolve({
          exitCode,
          signal,
          timedOut,
          interrupted,
          stall,
          wallMs: Math.round(performance.now() - started),
          stages,
          consoleTail: tail.join("\n")
        })
      )
    })
  })
