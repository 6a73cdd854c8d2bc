/**
 * Where the runner finds libkrun and libkrunfw. TEMPORARY until `@krunbox/ffi`'s discovery is
 * exported: the same order it documents (explicit path, `KRUNBOX_LIBKRUN` / `KRUNBOX_LIBKRUNFW`,
 * runtime.json), minus system folders.
 */
import { existsSync } from "node:fs"
import { EngineUnavailable } from "../errors.js"
import { readManifest } from "../internal/runtimeManifest.js"

export interface LibkrunPaths {
  readonly libkrunPath: string
  readonly libkrunfwPath: string | null
}

export const resolveLibkrunPaths = (explicit: { readonly libkrunPath?: string; readonly libkrunfwPath?: string } = {}): LibkrunPaths => {
  const manifest = readManifest()
  const fromManifest = manifest._tag === "Found" ? manifest.manifest : undefined
  const pick = (...candidates: Array<string | undefined>): string | undefined =>
    candidates.find((candidate) => candidate !== undefined && candidate !== "")
  const libkrunPath = pick(explicit.libkrunPath, process.env["KRUNBOX_LIBKRUN"], fromManifest?.libkrun?.path)
  const libkrunfwPath = pick(explicit.libkrunfwPath, process.env["KRUNBOX_LIBKRUNFW"], fromManifest?.libkrunfw?.path)
  if (libkrunPath === undefined || !existsSync(libkrunPath)) {
    throw new EngineUnavailable({
      engine: "libkrun",
      reason: libkrunPath === undefined
        ? `libkrun was not found (KRUNBOX_LIBKRUN, ${manifest.path})`
        : `libkrun ${libkrunPath} does not exist`,
      fix: "run `krunbox setup`, or set KRUNBOX_LIBKRUN to libkrun.so"
    })
  }
  if (libkrunfwPath !== undefined && !existsSync(libkrunfwPath)) {
    throw new EngineUnavailable({
      engine: "libkrun",
      reason: `libkrunfw ${libkrunfwPath} does not exist`,
      fix: "run `krunbox setup`, or set KRUNBOX_LIBKRUNFW to libkrunfw.so.5"
    })
  }
  return { libkrunPath, libkrunfwPath: libkrunfwPath ?? null }
}
