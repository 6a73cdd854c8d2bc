/**
 * Learning a loaded library's version. libkrun 1.19 has no version function, so the bindings
 * read, in order of trust:
 *
 * 1. the `runtime.json` manifest, when the loaded file is the one it lists;
 * 2. the real file name, which `make install` and distribution packages version
 *    (`libkrun.so.1.19.0`, `libkrun.1.19.0.dylib`, `libkrunfw.so.5.5.0`);
 * 3. for libkrun only, the crates.io source paths that Rust embeds in panic messages
 *    (`krun-devices-0.1.0-1.19.0/src/...`): libkrun's sibling crates carry the libkrun version
 *    as their pre-release tag. A build from a git checkout has no such paths.
 *
 * Anything else (a renamed build from git) has an unknown version.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs"
import { basename } from "node:path"
import type { ManifestLibrary } from "../Discovery.js"

export type VersionSource = "manifest" | "file-name" | "build-path"

export interface DetectedVersion {
  readonly version: string
  readonly source: VersionSource
}

const semver = /^\d+\.\d+\.\d+/

const sameFile = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

const fromManifest = (realPath: string, manifest: ManifestLibrary | undefined): DetectedVersion | undefined =>
  manifest?.version !== undefined && semver.test(manifest.version) && sameFile(realPath, manifest.path)
    ? { version: manifest.version, source: "manifest" }
    : undefined

const fileNamePatterns: Record<"libkrun" | "libkrunfw", ReadonlyArray<RegExp>> = {
  libkrun: [/^libkrun\.so\.(\d+\.\d+\.\d+)$/, /^libkrun\.(\d+\.\d+\.\d+)\.dylib$/],
  libkrunfw: [/^libkrunfw\.so\.(\d+\.\d+\.\d+)$/, /^libkrunfw\.(\d+\.\d+\.\d+)\.dylib$/]
}

const fromFileName = (library: "libkrun" | "libkrunfw", realPath: string): DetectedVersion | undefined => {
  const name = basename(realPath)
  for (const pattern of fileNamePatterns[library]) {
    const version = pattern.exec(name)?.[1]
    if (version !== undefined) return { version, source: "file-name" }
  }
  return undefined
}

const buildPath = /(?:libkrun-(\d+\.\d+\.\d+)\/src\/|krun-[a-z_]+-\d+\.\d+\.\d+-(\d+\.\d+\.\d+)\/src\/)/

// Enough for any libkrun build (about 8 MiB with blk,net) without reading something absurd.
const maxScannedBytes = 64 * 1024 * 1024

const fromBuildPath = (realPath: string): DetectedVersion | undefined => {
  let fd: number | undefined
  try {
    const size = Math.min(statSync(realPath).size, maxScannedBytes)
    const bytes = Buffer.allocUnsafe(size)
    fd = openSync(realPath, "r")
    let read = 0
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read)
      if (n === 0) break
      read += n
    }
    const match = buildPath.exec(bytes.toString("latin1", 0, read))
    const version = match?.[1] ?? match?.[2]
    return version === undefined ? undefined : { version, source: "build-path" }
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export const detectVersion = (
  library: "libkrun" | "libkrunfw",
  realPath: string,
  manifest: ManifestLibrary | undefined
): DetectedVersion | undefined =>
  fromManifest(realPath, manifest) ??
  fromFileName(library, realPath) ??
  (library === "libkrun" ? fromBuildPath(realPath) : undefined)

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (x.y.z only). */
export const compareVersions = (a: string, b: string): number => {
  const pa = a.split(".").map(Number)
  const pb = b.split(".").map(Number)
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}
