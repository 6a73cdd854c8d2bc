import * as fs from "node:fs"
import * as path from "node:path"
import { probe, which } from "./process.js"

/** Parses `ldconfig -p` output into soname -> path (first match wins, like the loader). */
export const parseLdconfig = (text: string): Map<string, string> => {
  const libs = new Map<string, string>()
  for (const line of text.split("\n")) {
    const match = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line)
    if (match === null) continue
    // only libraries for this machine's ABI
    if (process.arch === "x64" && !match[2]!.includes("x86-64")) continue
    if (!libs.has(match[1]!)) libs.set(match[1]!, match[3]!)
  }
  return libs
}

export const ldconfigLibraries = (): Map<string, string> => {
  const ldconfig = which("ldconfig", ["/sbin", "/usr/sbin"])
  const out = ldconfig === undefined ? undefined : probe(ldconfig, ["-p"])
  return out === undefined ? new Map() : parseLdconfig(out)
}

/** "libkrunfw.so.5.5.0" -> "5.5.0" (the version in a fully versioned file name), from the real path. */
export const versionFromSoname = (file: string, base: string): string | undefined => {
  let real = file
  try {
    real = fs.realpathSync(file)
  } catch {
    return undefined
  }
  const name = path.basename(real)
  if (!name.startsWith(`${base}.so.`)) return undefined
  const version = name.slice(base.length + 4)
  return /^\d+(\.\d+)*$/.test(version) ? version : undefined
}

/** Compares dotted versions numerically: negative when a < b. */
export const compareVersions = (a: string, b: string): number => {
  const pa = a.split(/[.+~-]/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.+~-]/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

export interface SystemLibkrun {
  readonly path: string
  readonly version: string
  readonly via: string
}

/** A system libkrun (ldconfig, pkg-config, Homebrew prefix) with a known version, or undefined. */
export const findSystemLibkrun = (): SystemLibkrun | undefined => {
  const candidates: Array<{ path: string; via: string; version?: string }> = []
  const fromLdconfig = ldconfigLibraries().get("libkrun.so.1")
  if (fromLdconfig !== undefined) candidates.push({ path: fromLdconfig, via: "ldconfig" })
  const pkgConfig = which("pkg-config")
  if (pkgConfig !== undefined) {
    const version = probe(pkgConfig, ["--modversion", "libkrun"])?.trim()
    const libdir = probe(pkgConfig, ["--variable=libdir", "libkrun"])?.trim()
    if (version !== undefined && libdir !== undefined && libdir !== "") {
      candidates.unshift({ path: path.join(libdir, "libkrun.so.1"), via: "pkg-config", version })
    }
  }
  const brew = which("brew", ["/opt/homebrew/bin", "/home/linuxbrew/.linuxbrew/bin"])
  const brewPrefix = brew === undefined ? undefined : probe(brew, ["--prefix"])?.trim()
  for (const prefix of [brewPrefix, "/opt/homebrew", "/home/linuxbrew/.linuxbrew"]) {
    if (prefix === undefined || prefix === "") continue
    for (const name of ["libkrun.so.1", "libkrun.dylib"]) {
      candidates.push({ path: path.join(prefix, "lib", name), via: `Homebrew (${prefix})` })
    }
  }
  for (const c of candidates) {
    if (!fs.existsSync(c.path)) continue
    const version = c.version ?? versionFromSoname(c.path, "libkrun")
    if (version === undefined) continue
    return { path: c.path, version, via: c.via }
  }
  return undefined
}

export const findSystemLibkrunfw = (): { path: string; version: string } | undefined => {
  const found = ldconfigLibraries().get("libkrunfw.so.5")
  if (found === undefined || !fs.existsSync(found)) return undefined
  return { path: found, version: versionFromSoname(found, "libkrunfw") ?? "5" }
}
