import { Setup } from "@krunbox/runtime"
import { MicroVm, Rootfs } from "@krunbox/sdk"
import type { ExitInfo, Notice } from "@krunbox/sdk"
import { Effect, Result } from "effect"
import { parseDuration } from "../cli/Duration.js"
import { readEnvFile } from "../cli/EnvFile.js"
import { flag, flags, has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { setupProgressPrinter } from "./progress.js"
import { pullProgressPrinter } from "./pull.js"
import { jsonText, shownMessage } from "../cli/Output.js"

/** Exit status when --timeout stopped the workload, as timeout(1) does. */
export const TIMED_OUT = 124

const positiveInteger = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text.trim())) {
    throw new UsageError(`--${name} must be a whole number`, text, `Write e.g. --${name} ${name === "memory" ? "512" : "2"}`)
  }
  return Number(text)
}

/**
 * Splits the operands into an image and its command. The parser marks `REF -- CMD`; a first
 * operand with a tag, digest or registry port (`alpine:3.20`, `localhost:5000/app`) is an image
 * too, since no program on the built-in rootfs is named like that.
 */
const imageAndCommand = (parsed: Parsed): { readonly image: string | undefined; readonly command: ReadonlyArray<string> } => {
  if (parsed.ref !== undefined) return { image: parsed.ref, command: parsed.operands }
  const [first, ...rest] = parsed.operands
  const looksLikeImage = first !== undefined && first.includes(":") && !/^[./]/.test(first) &&
    Result.isSuccess(Effect.runSync(Effect.result(Rootfs.parseImage(first))))
  return looksLikeImage ? { image: first, command: rest } : { image: undefined, command: parsed.operands }
}

const buildVm = (parsed: Parsed): MicroVm => {
  const { image, command } = imageAndCommand(parsed)
  let builder = MicroVm.builder()
  if (image !== undefined) {
    if (flag(parsed, "rootfs") !== undefined) {
      throw new UsageError("--rootfs and an image cannot be combined", image, "Drop --rootfs to run the image, or drop the image to run on your rootfs")
    }
    const platform = flag(parsed, "platform")
    // like `docker run IMAGE CMD`: CMD replaces the image's Cmd and follows its Entrypoint
    builder = builder.image(image, {
      insecure: has(parsed, "insecure"),
      pull: (flag(parsed, "pull") ?? "missing") as "missing" | "never" | "always",
      ...(platform === undefined ? {} : { platform }),
      onProgress: pullProgressPrinter()
    }).args(command)
  } else {
    const [execPath, ...args] = command
    if (execPath === undefined) {
      throw new UsageError("no command to run", undefined, 'Give one after the flags, e.g. "krunbox run -- /bin/echo hello"')
    }
    builder = builder.execPath(execPath).args(args)
    const rootfs = flag(parsed, "rootfs")
    if (rootfs !== undefined) builder = builder.rootfs(rootfs)
  }
  const cpus = positiveInteger("cpus", flag(parsed, "cpus"))
  if (cpus !== undefined) builder = builder.numVcpus(cpus)
  const memory = positiveInteger("memory", flag(parsed, "memory"))
  if (memory !== undefined) builder = builder.memoryMib(memory)
  const pidsLimit = positiveInteger("pids-limit", flag(parsed, "pids-limit"))
  if (pidsLimit !== undefined) builder = builder.pidsLimit(pidsLimit)
  const env = [...flags(parsed, "env-file").flatMap((file) => readEnvFile(file)), ...flags(parsed, "env")]
  if (env.length > 0) builder = builder.env(env)
  if (flags(parsed, "volume").length > 0) builder = builder.mappedDirs(flags(parsed, "volume"))
  if (flags(parsed, "publish").length > 0) builder = builder.portMap(flags(parsed, "publish"))
  if (flags(parsed, "rlimit").length > 0) builder = builder.rlimits(flags(parsed, "rlimit"))
  const optional: ReadonlyArray<readonly [string, (b: typeof builder, v: string) => typeof builder]> = [
    ["workdir", (b, v) => b.workdirPath(v)],
    ["net", (b, v) => b.scope(v)],
    ["ip", (b, v) => b.ip(v)],
    ["subnet", (b, v) => b.subnet(v)],
    ["console-output", (b, v) => b.consoleOutput(v)],
    ["log-level", (b, v) => b.logLevel(/^\d$/.test(v) ? Number(v) : v)],
    ["engine", (b, v) => b.engine(v as "auto" | "libkrun" | "gvisor")]
  ]
  for (const [name, apply] of optional) {
    const value = flag(parsed, name)
    if (value !== undefined) builder = apply(builder, value)
  }
  return builder.build()
}

const record = (info: ExitInfo, extra: Record<string, unknown> = {}) => ({
  status: info.status,
  signal: info.signal,
  timedOut: info.timedOut,
  engine: info.engine,
  timings: info.timings,
  ...extra
})

const exitCode = (info: ExitInfo, interruptedBy: NodeJS.Signals | undefined): number => {
  if (info.timedOut) return TIMED_OUT
  if (interruptedBy !== undefined) return interruptedBy === "SIGINT" ? 130 : 143
  if (info.status !== null) return info.status
  return 128 + (info.signal === "SIGKILL" ? 9 : 15)
}

/**
 * `krunbox run`: boots one VM, streams its output (or buffers it for --json), forwards Ctrl-C
 * and SIGTERM as "stop the VM", and resolves to the exit status the CLI should end with.
 */
export const runCommand = async (parsed: Parsed): Promise<number> => {
  const timeoutText = flag(parsed, "timeout")
  const timeoutMs = timeoutText === undefined ? undefined : parseDuration("timeout", timeoutText)
  // first use on a fresh machine: obtain the native runtime (a no-op check once it is cached)
  await Setup.ensure({ onProgress: setupProgressPrinter() })
  // an image is pulled and prepared by the SDK when the VM starts, and removed when it ends
  const vm = buildVm(parsed)
  const abort = new AbortController()
  let interruptedBy: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy !== undefined) return
    interruptedBy = signal
    abort.abort(new Error(`interrupted by ${signal}`))
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  // the SDK hands its notices (engine fallback, image User not applied, ...) to us to print
  const onNotice = (notice: Notice) => process.stderr.write(`krunbox: ${shownMessage(notice.message)}\n`)
  const timing = { signal: abort.signal, onNotice, ...(timeoutMs === undefined ? {} : { timeoutMs }) }
  try {
    if (has(parsed, "json")) {
      const result = await vm.run(timing)
      process.stdout.write(`${jsonText(record(result, { stdout: result.stdout, stderr: result.stderr, truncated: result.truncated }))}\n`)
      return exitCode(result, interruptedBy)
    }
    const info = await vm.spawn({ ...timing, stdout: "inherit", stderr: "inherit" }).exited
    if (info.timedOut) process.stderr.write(`krunbox: timed out after ${timeoutText}; the VM was stopped\n`)
    return exitCode(info, interruptedBy)
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
}
