/**
 * The real libkrun for the tests, found through the normal discovery chain (KRUNBOX_LIBKRUN /
 * KRUNBOX_LIBKRUNFW, else the runtime.json that `krunbox setup` writes). Without it, the
 * real-library suites fail with the LibraryNotFound message under CI and are skipped, with that
 * reason, elsewhere.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Libkrun, type LibkrunLibrary } from "../../src/index.js"

export const inCI = (() => {
  const value = process.env["CI"]
  return value !== undefined && value !== "" && value !== "0" && value !== "false"
})()

const loaded: { readonly krun: LibkrunLibrary } | { readonly error: unknown } = (() => {
  try {
    return { krun: Libkrun.load() }
  } catch (error) {
    return { error }
  }
})()

const loadError = "error" in loaded ? loaded.error : undefined

/** Why the real-library suites are skipped, or `undefined` when libkrun (and libkrunfw) loaded. */
export const missingLibrary: string | undefined =
  loadError === undefined
    ? undefined
    : `libkrun unavailable: ${loadError instanceof Error ? loadError.message : String(loadError)}`

/** Skip only outside CI; in CI the suite runs and `realLibkrun()` throws the LibraryNotFound. */
export const skipRealLibrary = missingLibrary !== undefined && !inCI

/** A suite title that carries the skip reason when the suite is skipped. */
export const realLibraryTitle = (name: string): string =>
  skipRealLibrary ? `${name} (skipped: ${missingLibrary ?? ""})` : name

export const realLibkrun = (): LibkrunLibrary => {
  if ("krun" in loaded) return loaded.krun
  throw loaded.error
}

export const packageDir = fileURLToPath(new URL("../..", import.meta.url))
const distEntry = fileURLToPath(new URL("../../dist/index.js", import.meta.url))

export interface ChildResult {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** The last stdout line, parsed as JSON, when it is JSON. */
  readonly result: unknown
}

/**
 * Runs ES module `code` in a fresh Node process with the same libkrun/libkrunfw as this one, for
 * calls that may end or abort a process. `FFI` in the code is the built package (dist), `koffi`
 * the raw koffi module.
 */
export const runChild = (code: string): ChildResult => {
  if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`pnpm --filter @krunbox/ffi build\` first`)
  const krun = realLibkrun()
  const prelude =
    `import * as FFI from ${JSON.stringify(pathToFileURL(distEntry).href)};\n` +
    `import koffi from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("koffi")).href)};\n` +
    `const emit = (value) => process.stdout.write("\\n" + JSON.stringify(value) + "\\n");\n`
  // Through sh only to set `ulimit -c 0`: the children that prove a crash must not leave core files.
  const child = spawnSync("/bin/sh", ["-c", 'ulimit -c 0 && exec "$0" "$@"', process.execPath, "--input-type=module", "-e", prelude + code], {
    cwd: packageDir,
    encoding: "utf8",
    // A safety net against a hung child, not an assertion about speed.
    timeout: 60_000,
    env: {
      ...process.env,
      KRUNBOX_LIBKRUN: krun.realPath,
      KRUNBOX_LIBKRUNFW: krun.libkrunfw?.realPath ?? "",
      RUST_BACKTRACE: "0"
    }
  })
  const lastLine = child.stdout.trimEnd().split("\n").at(-1) ?? ""
  let result: unknown
  try {
    result = JSON.parse(lastLine)
  } catch {
    result = undefined
  }
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr, result }
}
