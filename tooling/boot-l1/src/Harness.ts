import { mkdir, readdir, readFile, realpath, rm, stat } from "node:fs/promises"
import { createRequire } from "node:module"
import { basename, dirname, join } from "node:path"
import { findStaticBusybox } from "./Busybox.js"
import { run } from "./Exec.js"
import { ensureInitramfs } from "./Initramfs.js"
import { ensureKernel } from "./Kernel.js"
import { buildPayload, type PayloadStep, readFromImage, RESULTS_DIR } from "./Payload.js"
import { krunboxCacheDir, l1CacheDir } from "./Paths.js"
import { bootL1, ensureQemu, type L1Run, MARKER_PREFIX, type StageMark } from "./Qemu.js"
import { DEFAULT_SILENCE_MS, makeProgressMonitor, PROGRESS_REPORTER } from "./Progress.js"
import { formatOutcomes, parseVitestJson, type TestOutcome, verdict } from "./Results.js"
import { Interrupted, L1BootFailed, L1Stalled, L1TimedOut, ResultsMissing, RuntimeNotSetUp, tail } from "./errors.js"

/**
 * Everything a harness run needs to know.
 *
 * @since 0.1.0
 * @category models
 */
export interface HarnessOptions {
  readonly checkoutRoot: string
  /** Workspace packages (relative to the checkout) whose vitest suites run in the L1. */
  readonly packages: ReadonlyArray<string>
  /** vitest arguments (file filters, `-t`) for every package's run; empty: {@link DEFAULT_VITEST_FILTERS}. */
  readonly vitestArgs: ReadonlyArray<string>
  /** A shell command to run in the L1 instead of the vitest suites. */
  readonly exec: string | undefined
  readonly accel: string
  readonly cpu: string
  readonly smp: number
  readonly memoryMib: number
  readonly timeoutMs: number
  /** Give up on the L1 when its userspace printed no heartbeat for this long (default {@link DEFAULT_SILENCE_MS}). */
  readonly silenceMs?: number
  /** Extra words for the L1 kernel's command line (`module.param=value` words reach insmod). */
  readonly kernelArgs?: ReadonlyArray<string>
  /** Tests whose full name matches must run and pass (undefined: no such check). */
  readonly required: RegExp | undefined
  readonly refreshKernel: boolean
  readonly keep: boolean
  readonly out: (line: string) => void
  readonly log: (line: string) => void
}

/**
 * What a harness run produced.
 *
 * @since 0.1.0
 * @category models
 */
export interface HarnessReport {
  readonly run: L1Run
  readonly tests: ReadonlyArray<TestOutcome>
  readonly problems: ReadonlyArray<string>
}

/**
 * Per-test and per-hook timeout inside the L1 (vitest's own limit, not a timing assertion).
 *
 * @since 0.1.0
 * @category constants
 */
export const L1_TEST_TIMEOUT_MS = 900_000

/**
 * L1 vCPUs. One: with two, QEMU 7.2's software SVM sometimes delivers an interrupt into a guest
 * that has it masked, which leaves that microVM (or the L1 kernel itself) stuck for good
 * (docs/boot-l1.md, "Guests that stop for good").
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SMP = 1

/**
 * The harness's deadline for the whole L1 run: generous, so that a machine whose cores are busy
 * still finishes; a wedged L1 is caught long before by the progress monitor.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TIMEOUT_SECONDS = 2700

/**
 * Tests whose full name contains this must run and pass inside the L1 (the SDK's full-boot
 * tests live in `describe("libkrun engine, full boot ...")`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REQUIRED = "full boot"

/**
 * vitest file filters used when none are given: the libkrun engine's tests and every file with
 * `boot` in its name (e.g. `*.boot.test.ts`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_VITEST_FILTERS: ReadonlyArray<string> = ["libkrun", "boot"]

/** Removes run directories left by harness processes that no longer exist (e.g. SIGKILLed). */
const removeStaleRuns = async (runsDir: string, log: (line: string) => void): Promise<void> => {
  const entries = await readdir(runsDir).catch(() => [] as Array<string>)
  for (const entry of entries) {
    const pid = Number(/-(\d+)$/.exec(entry)?.[1])
    if (!Number.isInteger(pid) || pid === process.pid) continue
    let alive = true
    try {
      process.kill(pid, 0)
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === "EPERM"
    }
    if (!alive) {
      log(`removing stale run directory ${entry}`)
      await rm(join(runsDir, entry), { recursive: true, force: true })
    }
  }
}

const vitestEntry = async (packageDir: string): Promise<string> => {
  const require = createRequire(join(packageDir, "package.json"))
  const manifestPath = require.resolve("vitest/package.json")
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { readonly bin?: string | Record<string, string> }
  const bin = typeof manifest.bin === "string" ? manifest.bin : (manifest.bin?.["vitest"] ?? "vitest.mjs")
  return join(dirname(manifestPath), bin)
}

/** Sets up the native runtime through the CLI when the manifest is missing. */
const ensureRuntime = async (checkoutRoot: string, cacheDir: string, nodeBinary: string, log: (line: string) => void): Promise<void> => {
  const manifest = join(cacheDir, "runtime.json")
  if (await stat(manifest).then(() => true, () => false)) return
  const cli = join(checkoutRoot, "apps", "cli", "dist", "bin.js")
  if (!(await stat(cli).then(() => true, () => false))) throw new RuntimeNotSetUp(manifest, "missing, and the CLI is not built to create it")
  log(`no ${manifest}: running krunbox setup`)
  await run(nodeBinary, [cli, "setup"], { hint: "run `bin/krunbox setup` by hand to see its progress" })
}

const l1Env = (cacheDir: string, nodeBinary: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("KRUNBOX_") && !key.startsWith("KRUNBOX_L1_") && value !== undefined) env[key] = value
  }
  return {
    ...env,
    PATH: `${dirname(nodeBinary)}:/bin`,
    HOME: "/root",
    TMPDIR: "/tmp",
    CI: "1",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    KRUNBOX_CACHE_DIR: cacheDir,
    KRUNBOX_IN_L1: "1"
  }
}

const stageLabel = (mark: StageMark): string => `${mark.stage}${mark.detail === "" ? "" : ` ${mark.detail}`}`

const timingSummary = (result: L1Run): string =>
  [
    ...result.stages.map((mark) => `  ${(mark.hostMs / 1000).toFixed(1).padStart(7)}s  ${stageLabel(mark)}`),
    `  ${(result.wallMs / 1000).toFixed(1).padStart(7)}s  qemu exited (${result.signal ?? result.exitCode})`
  ].join("\n")

/**
 * Boots the L1 once, runs every step inside it, brings the results back and tears it down.
 * Throws a typed error when the L1 itself fails; test failures are returned as `problems`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runHarness = async (options: HarnessOptions): Promise<HarnessReport> => {
  const { log, out } = options
  const cacheDir = krunboxCacheDir()
  const l1Dir = l1CacheDir()
  const nodeBinary = await realpath(process.execPath)
  await mkdir(l1Dir, { recursive: true })

  const qemu = await ensureQemu(log)
  log(`qemu: ${qemu.path} (${qemu.version})`)
  const kernel = await ensureKernel({ l1Dir, refresh: options.refreshKernel, deb: process.env["KRUNBOX_L1_KERNEL_DEB"], log })
  log(`kernel: ${kernel.packageName} ${kernel.version} (${kernel.release}); modules ${kernel.modules.map((m) => basename(m, ".ko")).join(" ")}`)
  await ensureRuntime(options.checkoutRoot, cacheDir, nodeBinary, log)
  const busybox = await findStaticBusybox(cacheDir)
  const initramfs = await ensureInitramfs(l1Dir, kernel, busybox)
  log(`initramfs: ${initramfs} (busybox ${busybox})`)

  const steps: Array<PayloadStep> = []
  if (options.exec !== undefined) {
    steps.push({ name: "exec", cwd: options.checkoutRoot, command: [options.exec], shell: true, resultsFile: undefined })
  } else {
    for (const pkg of options.packages) {
      const cwd = join(options.checkoutRoot, pkg)
      const name = pkg.replaceAll("/", "-")
      const resultsFile = `${RESULTS_DIR}/${name}.json`
      steps.push({
        name,
        cwd,
        command: [
          nodeBinary,
          await vitestEntry(cwd),
          "run",
          "--reporter=verbose",
          "--reporter=json",
          // marks each test's start, so a test that never ends can be named
          `--reporter=${PROGRESS_REPORTER}`,
          `--outputFile.json=${resultsFile}`,
          // one file at a time, so each test's wall time is its own boot's
          "--no-file-parallelism",
          // the L1's CPU is emulated: a boot takes seconds, not milliseconds
          `--testTimeout=${L1_TEST_TIMEOUT_MS}`,
          `--hookTimeout=${L1_TEST_TIMEOUT_MS}`,
          ...(options.vitestArgs.length === 0 ? DEFAULT_VITEST_FILTERS : options.vitestArgs)
        ],
        shell: false,
        resultsFile
      })
    }
  }

  const runsDir = join(l1Dir, "runs")
  await removeStaleRuns(runsDir, log)
  const runDir = join(runsDir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`)
  await mkdir(runDir, { recursive: true })
  try {
    const built = performance.now()
    const payload = await buildPayload(runDir, {
      checkoutRoot: options.checkoutRoot,
      cacheDir,
      nodeBinary,
      busybox,
      env: l1Env(cacheDir, nodeBinary),
      steps
    })
    log(`payload: ${payload.image} (${Math.round(payload.stagedBytes / 1024 / 1024)} MiB staged, ${Math.round(performance.now() - built)} ms)`)
    log(`booting L1: -accel ${options.accel} -cpu ${options.cpu} -smp ${options.smp} -m ${options.memoryMib}; timeout ${Math.round(options.timeoutMs / 1000)} s`)

    const monitor = makeProgressMonitor({ startMs: 0, silenceMs: options.silenceMs ?? DEFAULT_SILENCE_MS })
    const result = await bootL1({
      qemu,
      machine: {
        accel: options.accel,
        cpu: options.cpu,
        smp: options.smp,
        memoryMib: options.memoryMib,
        kernel: kernel.vmlinuz,
        initramfs,
        disk: payload.image,
        // the L1's own watchdog fires a little after the host's deadline, so it only matters
        // when the host side is gone
        append: [...(options.kernelArgs ?? []), `krunbox_deadline=${Math.ceil(options.timeoutMs / 1000) + 30}`]
      },
      timeoutMs: options.timeoutMs,
      consoleLog: join(runDir, "console.log"),
      onLine: (line) => {
        // the heartbeat and the test ends (vitest's verbose reporter prints those) are for the monitor
        if (!line.includes(`${MARKER_PREFIX} heartbeat`) && !line.includes(`${MARKER_PREFIX} test-end`)) out(`L1| ${line}`)
      },
      onStage: () => undefined,
      monitor
    })
    log(`L1 timeline (host wall time since QEMU started):\n${timingSummary(result)}`)

    const lastStage = result.stages.at(-1)?.stage ?? "firmware/kernel"
    if (result.interrupted !== null) throw new Interrupted(result.interrupted)
    if (result.stall !== undefined) {
      throw new L1Stalled(result.stall.reason, result.stall.runningTest, result.stall.lastFinishedTest, tail(result.consoleTail, 40))
    }
    if (result.timedOut) throw new L1TimedOut(options.timeoutMs, lastStage, tail(result.consoleTail, 30), monitor.runningTest())
    const reached = new Set(result.stages.map((mark) => mark.stage))
    if (!reached.has("payload-exit")) {
      throw new L1BootFailed(lastStage, `qemu ${result.signal ?? `exit ${result.exitCode}`}`, tail(result.consoleTail, 30))
    }

    const tests: Array<TestOutcome> = []
    const problems: Array<string> = []
    for (const step of steps) {
      const exit = result.stages.find((mark) => mark.stage === "step-exit" && mark.detail.startsWith(`${step.name} `))
      const status = exit?.detail.split(/\s+/)[1]
      if (step.resultsFile === undefined) {
        if (status !== "0") problems.push(`${step.name} exited ${status ?? "without reporting"} inside the L1`)
        continue
      }
      let text: string
      try {
        text = await readFromImage(payload.image, step.resultsFile, join(runDir, `${step.name}.json`))
      } catch (error) {
        if (error instanceof ResultsMissing) {
          problems.push(`${step.name}: ${error.message} (vitest exit ${status ?? "unknown"})`)
          continue
        }
        throw error
      }
      const suite = parseVitestJson(text, `${options.checkoutRoot}/`)
      tests.push(...suite.tests)
      out(`\n${step.name}: ${suite.tests.length} tests inside the L1 (wall time per test, emulated CPU):\n${formatOutcomes(suite.tests)}`)
      problems.push(...verdict(suite, options.required).map((problem) => `${step.name}: ${problem}`))
    }
    return { run: result, tests, problems }
  } finally {
    if (options.keep) log(`kept ${runDir}`)
    else await rm(runDir, { recursive: true, force: true })
  }
}
