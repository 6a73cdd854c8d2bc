#!/usr/bin/env node
/**
 * `pnpm test:boot`: runs krunbox's microVM boot tests inside an L1 VM that QEMU emulates in
 * software with an AMD CPU that has SVM, so the L1 gets a real KVM even on a host (like a PVM
 * one) whose own /dev/kvm cannot boot standard kernels. See docs/boot-l1.md.
 *
 * @since 0.1.0
 */
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { DEFAULT_REQUIRED, DEFAULT_SMP, DEFAULT_TIMEOUT_SECONDS, runHarness } from "./Harness.js"
import { DEFAULT_SILENCE_MS, WEDGED_LOCKUP_SECONDS } from "./Progress.js"
import { DEFAULT_CPU } from "./Qemu.js"
import { constants } from "node:os"
import { Interrupted, isBootL1Error, UsageError } from "./errors.js"

const HELP = `usage: boot-l1 [options] [-- vitest args...]

Boots an emulated-SVM QEMU VM (L1) with Debian's cloud kernel and a real KVM inside, and runs
the workspace's libkrun boot tests there with the real SDK. Results come back as a table; the
exit status is 0 only when no test failed and the required (full-boot) tests all ran and passed.

vitest args default to the filters "libkrun boot": test files whose path contains either.

options:
  --package DIR     workspace package whose vitest suite runs in the L1 (repeatable;
                    default: packages/sdk)
  --exec CMD        run this shell command in the L1 (from the checkout) instead of vitest
  --cpu MODEL       emulated CPU (default: ${DEFAULT_CPU})
  --smp N           L1 vCPUs (default: 1; with 2, QEMU 7.2's software SVM sometimes
                    leaves a guest or the L1 itself stuck for good: docs/boot-l1.md)
  --memory MIB      L1 memory (default: 3072)
  --accel ACCEL     QEMU accelerator (default: tcg,thread=multi)
  --timeout SEC     kill the L1 after this long (default: 2700)
  --silence SEC     kill the L1 when its userspace printed no heartbeat for this long
                    (default: ${DEFAULT_SILENCE_MS / 1000}); a soft lockup of an L1 CPU that lasts
                    ${WEDGED_LOCKUP_SECONDS} s ends the run at once. Either way the error names the
                    test that was running
  --kernel-arg WORD extra word for the L1 kernel's command line (repeatable); module.param=value
                    words are passed to that module's insmod (e.g. kvm_amd.avic=0)
  --require TEXT    tests whose name contains TEXT must run and pass inside the L1; other
                    skipped tests are only listed (default: "full boot"; "" turns it off)
  --refresh-kernel  resolve Debian's linux-image-cloud-amd64 again instead of the cached one
  --keep            keep the run directory (disk image, console log, results)
  -h, --help        this text

environment:
  KRUNBOX_CACHE_DIR / XDG_CACHE_HOME   krunbox's cache (the L1 cache is <cache>/l1)
  KRUNBOX_L1_KERNEL_DEB                a linux-image-*-cloud-amd64 .deb to use instead of apt
`

const positiveInt = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} ${value}`, "expected a positive integer")
  return n
}

const requiredPattern = (text: string | undefined): RegExp | undefined => {
  const value = text ?? DEFAULT_REQUIRED
  return value === "" ? undefined : new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
}

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const dash = argv.indexOf("--")
  const own = dash < 0 ? argv : argv.slice(0, dash)
  const vitestArgs = dash < 0 ? [] : argv.slice(dash + 1)
  let values: ReturnType<typeof parse>["values"]
  try {
    values = parse(own).values
  } catch (error) {
    throw new UsageError(own.join(" "), error instanceof Error ? error.message : String(error))
  }
  if (values.help === true) {
    process.stdout.write(HELP)
    return 0
  }
  const checkoutRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
  const report = await runHarness({
    checkoutRoot,
    packages: values.package ?? ["packages/sdk"],
    vitestArgs,
    exec: values.exec,
    accel: values.accel ?? "tcg,thread=multi",
    cpu: values.cpu ?? DEFAULT_CPU,
    smp: positiveInt("smp", values.smp, DEFAULT_SMP),
    memoryMib: positiveInt("memory", values.memory, 3072),
    timeoutMs: positiveInt("timeout", values.timeout, DEFAULT_TIMEOUT_SECONDS) * 1000,
    silenceMs: positiveInt("silence", values.silence, DEFAULT_SILENCE_MS / 1000) * 1000,
    kernelArgs: values["kernel-arg"] ?? [],
    required: requiredPattern(values.require),
    refreshKernel: values["refresh-kernel"] === true,
    keep: values.keep === true,
    out: (line) => process.stdout.write(`${line}\n`),
    log: (line) => process.stderr.write(`[boot-l1] ${line}\n`)
  })
  if (report.problems.length > 0) {
    process.stderr.write(`\n[boot-l1] FAILED:\n${report.problems.map((p) => `  - ${p}`).join("\n")}\n`)
    return 1
  }
  const passed = report.tests.filter((test) => test.status === "passed").length
  const what = values.exec === undefined ? `${passed} tests passed` : "the command succeeded"
  process.stderr.write(`\n[boot-l1] ok: ${what} inside the L1 (${(report.run.wallMs / 1000).toFixed(1)} s of L1 wall time)\n`)
  return 0
}

const parse = (args: ReadonlyArray<string>) =>
  parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      package: { type: "string", multiple: true },
      exec: { type: "string" },
      cpu: { type: "string" },
      smp: { type: "string" },
      memory: { type: "string" },
      accel: { type: "string" },
      timeout: { type: "string" },
      silence: { type: "string" },
      "kernel-arg": { type: "string", multiple: true },
      require: { type: "string" },
      "refresh-kernel": { type: "boolean" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" }
    }
  })

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (isBootL1Error(error)) {
      process.stderr.write(`[boot-l1] error ${error._tag}: ${error.message}\n[boot-l1] hint: ${error.hint}\n`)
    } else {
      process.stderr.write(`[boot-l1] unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    }
    process.exitCode = error instanceof Interrupted ? 128 + (constants.signals[error.signal] ?? 15) : 2
  }
)
