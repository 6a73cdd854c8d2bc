import { readFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"

/**
 * TEMPORARY resolution of the native runtime cache (docs/architecture.md "Native runtime cache")
 * until `src/runtime` exports its own loader: reads `runtime.json` directly.
 */
export const cacheDir = (env: NodeJS.ProcessEnv = process.env): string => {
  const explicit = env["KRUNBOX_CACHE_DIR"]
  if (explicit !== undefined && explicit !== "") return explicit
  const xdg = env["XDG_CACHE_HOME"]
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache"), "krunbox")
}

export const manifestPath = (env: NodeJS.ProcessEnv = process.env): string => join(cacheDir(env), "runtime.json")

export interface RuntimeManifestView {
  readonly libkrun?: { readonly path: string }
  readonly libkrunfw?: { readonly path: string }
  readonly rootfs?: { readonly path: string }
  readonly runsc?: { readonly path: string } | null
}

export type ManifestRead =
  | { readonly _tag: "Found"; readonly path: string; readonly manifest: RuntimeManifestView }
  | { readonly _tag: "Missing"; readonly path: string; readonly reason: string; readonly cause?: unknown }

export const readManifest = (env: NodeJS.ProcessEnv = process.env): ManifestRead => {
  const path = manifestPath(env)
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (cause) {
    return { _tag: "Missing", path, reason: (cause as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : String(cause), cause }
  }
  try {
    const manifest = JSON.parse(text) as RuntimeManifestView
    return { _tag: "Found", path, manifest }
  } catch (cause) {
    return { _tag: "Missing", path, reason: "it is not valid JSON", cause }
  }
}
