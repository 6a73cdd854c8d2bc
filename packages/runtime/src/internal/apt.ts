import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import { DebianArchiveUnknown, ToolMissing } from "../SetupError.js"
import { exists, io } from "./files.js"
import { run, which } from "./process.js"

/** One `deb` source: where, which suites, signed by which keyring. */
export interface AptSource {
  readonly types: ReadonlyArray<string>
  readonly uris: ReadonlyArray<string>
  readonly suites: ReadonlyArray<string>
  readonly components: ReadonlyArray<string>
  readonly signedBy: string | undefined
  readonly origin: string
}

export interface DebianArchive {
  readonly uri: string
  readonly signedBy: string | undefined
  readonly origin: string
}

const DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

/** Parses deb822 `.sources` text (stanzas separated by blank lines; `#` comments). */
export const parseDeb822 = (text: string, origin: string): Array<AptSource> => {
  const sources: Array<AptSource> = []
  const stanzas = text
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .split(/\n\s*\n/)
  for (const stanza of stanzas) {
    const fields = new Map<string, string>()
    let current: string | undefined
    for (const line of stanza.split("\n")) {
      if (/^\s/.test(line) && current !== undefined) {
        fields.set(current, `${fields.get(current) ?? ""}\n${line.trim()}`)
        continue
      }
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line)
      if (match === null) continue
      current = match[1]!.toLowerCase()
      fields.set(current, match[2]!.trim())
    }
    if (fields.get("enabled")?.toLowerCase() === "no") continue
    const words = (key: string) => (fields.get(key) ?? "").split(/\s+/).filter((w) => w !== "")
    if (!fields.has("uris")) continue
    const signedBy = fields.get("signed-by")
    sources.push({
      types: words("types"),
      uris: words("uris"),
      suites: words("suites"),
      components: words("components"),
      // an inline key block (starts with -----BEGIN) cannot be reused as a path
      signedBy: signedBy !== undefined && signedBy.startsWith("/") ? signedBy.split("\n")[0]!.trim() : undefined,
      origin
    })
  }
  return sources
}

/** Parses one-line-style `sources.list` text: `deb [opts] uri suite component...`. */
export const parseOneLine = (text: string, origin: string): Array<AptSource> => {
  const sources: Array<AptSource> = []
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim()
    const match = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line)
    if (match === null) continue
    const options = new Map(
      (match[2] ?? "")
        .split(/\s+/)
        .filter((o) => o.includes("="))
        .map((o) => [o.slice(0, o.indexOf("=")).toLowerCase(), o.slice(o.indexOf("=") + 1)] as const)
    )
    sources.push({
      types: [match[1]!],
      uris: [match[3]!],
      suites: [match[4]!],
      components: (match[5] ?? "").split(/\s+/).filter((c) => c !== ""),
      signedBy: options.get("signed-by"),
      origin
    })
  }
  return sources
}

/**
 * The system's main Debian archive: a binary (`deb`) source with a plain release suite (no
 * `-security`/`-updates`/`-backports`), the `main` component, and a URI whose last path segment
 * is `debian`.
 */
export const pickDebianArchive = (sources: ReadonlyArray<AptSource>): DebianArchive | undefined => {
  for (const source of sources) {
    if (!source.types.includes("deb")) continue
    if (!source.suites.some((suite) => /^[a-z]+$/.test(suite))) continue
    if (source.components.length > 0 && !source.components.includes("main")) continue
    for (const uri of source.uris) {
      const trimmed = uri.replace(/\/+$/, "")
      if (!/^(https?|file|mirror\+https?):\/\//.test(trimmed)) continue
      if (trimmed.split("/").at(-1) !== "debian") continue
      return { uri: trimmed, signedBy: source.signedBy, origin: source.origin }
    }
  }
  return undefined
}

const readIfExists = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/** Reads /etc/apt (or `etcApt`) and derives the Debian archive; KRUNBOX_DEBIAN_ARCHIVE overrides. */
export const deriveDebianArchive = (neededFor: string, etcApt = "/etc/apt") =>
  Effect.gen(function* () {
    const override = process.env["KRUNBOX_DEBIAN_ARCHIVE"]
    if (override !== undefined && override !== "") {
      return { uri: override.replace(/\/+$/, ""), signedBy: undefined, origin: "KRUNBOX_DEBIAN_ARCHIVE" }
    }
    const searched: Array<string> = []
    const sources: Array<AptSource> = []
    const listFile = path.join(etcApt, "sources.list")
    searched.push(listFile)
    const listText = readIfExists(listFile)
    if (listText !== undefined) sources.push(...parseOneLine(listText, listFile))
    const partsDir = path.join(etcApt, "sources.list.d")
    searched.push(`${partsDir}/*.{sources,list}`)
    let parts: Array<string> = []
    try {
      parts = fs.readdirSync(partsDir).sort()
    } catch {
      // no parts directory
    }
    for (const name of parts) {
      const text = readIfExists(path.join(partsDir, name))
      if (text === undefined) continue
      if (name.endsWith(".sources")) sources.push(...parseDeb822(text, path.join(partsDir, name)))
      else if (name.endsWith(".list")) sources.push(...parseOneLine(text, path.join(partsDir, name)))
    }
    const archive = pickDebianArchive(sources)
    if (archive === undefined) {
      return yield* Effect.fail(
        new DebianArchiveUnknown({
          searched,
          neededFor,
          fix: "install the package from your distribution, or set KRUNBOX_DEBIAN_ARCHIVE to the URI of a Debian archive"
        })
      )
    }
    return archive
  })

/** The sources.list text of the private apt dir: the system's Debian archive, suite sid. */
export const privateSourcesList = (archive: DebianArchive): string => {
  const keyring = archive.signedBy ?? (exists(DEFAULT_KEYRING) ? DEFAULT_KEYRING : undefined)
  const options = keyring !== undefined ? `[signed-by=${keyring}] ` : ""
  return `# written by krunbox setup from ${archive.origin}\ndeb ${options}${archive.uri} sid main\n`
}

/**
 * apt-get with every state, cache and source location inside the cache's apt/ directory, so the
 * system's apt configuration and state are never touched.
 */
export class PrivateApt {
  private updated = false

  constructor(
    private readonly paths: CachePaths,
    private readonly aptGet: string
  ) {}

  static make = (paths: CachePaths, neededFor: string) =>
    Effect.gen(function* () {
      const aptGet = which("apt-get")
      const dpkgDeb = which("dpkg-deb")
      if (aptGet === undefined || dpkgDeb === undefined) {
        return yield* Effect.fail(
          new ToolMissing({
            tool: aptGet === undefined ? "apt-get" : "dpkg-deb",
            neededFor,
            fix: `this is not a Debian-like system: install ${neededFor} with your distribution's package manager`
          })
        )
      }
      return new PrivateApt(paths, aptGet)
    })

  private get dir() {
    return this.paths.aptDir
  }

  options(): Array<string> {
    const d = this.dir
    const opts = [
      `Dir::Etc::SourceList=${path.join(d, "sources.list")}`,
      "Dir::Etc::SourceParts=/dev/null",
      "Dir::Etc::Preferences=/dev/null",
      "Dir::Etc::PreferencesParts=/dev/null",
      `Dir::State::Lists=${path.join(d, "lists")}`,
      `Dir::State::Status=${path.join(d, "status")}`,
      `Dir::Cache=${path.join(d, "cache")}`,
      "Acquire::Languages=none",
      "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
      "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
      "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false",
      "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false",
      "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false",
      "APT::Get::List-Cleanup=false"
    ]
    // apt downloads as _apt, which cannot enter root's 0700 home: download as root instead.
    if (process.getuid?.() === 0) opts.push("APT::Sandbox::User=root")
    return opts.flatMap((o) => ["-o", o])
  }

  private hasLists(): boolean {
    try {
      return fs.readdirSync(path.join(this.dir, "lists")).some((name) => name.includes("_Packages"))
    } catch {
      return false
    }
  }

  /** Writes the private sources list and runs `apt-get update` once per setup run (or when stale). */
  update(neededFor: string, force: boolean, onLine?: (line: string) => void) {
    return Effect.gen({ self: this }, function* () {
      if (this.updated || (!force && this.hasLists())) return
      const archive = yield* deriveDebianArchive(neededFor)
      const dir = this.dir
      yield* io("prepare", dir, () => {
        for (const sub of ["lists/partial", "cache/archives/partial"]) {
          fs.mkdirSync(path.join(dir, sub), { recursive: true })
        }
        if (!exists(path.join(dir, "status"))) fs.writeFileSync(path.join(dir, "status"), "")
        fs.writeFileSync(path.join(dir, "sources.list"), privateSourcesList(archive))
      })
      yield* run(this.aptGet, [...this.options(), "update"], {
        step: neededFor,
        fix: "check network access to the Debian archive named in your apt sources, then rerun `krunbox setup`",
        ...(onLine !== undefined ? { onLine } : {})
      })
      this.updated = true
    })
  }

  /** Downloads a package's .deb into debs/ and returns its path. */
  download(pkg: string, neededFor: string) {
    return Effect.gen({ self: this }, function* () {
      const debs = this.paths.debsDir
      yield* io("create", debs, () => fs.mkdirSync(debs, { recursive: true }))
      // apt-get download names the file pkg_version_arch.deb (":" escaped) and skips the
      // download when that file is already there, so the name comes from the candidate's fields
      const shown = yield* run(path.join(path.dirname(this.aptGet), "apt-cache"), [...this.options(), "show", "--no-all-versions", pkg], {
        step: neededFor,
        fix: `check that Debian's archive has ${pkg} for this architecture, then rerun \`krunbox setup --force\``
      })
      const field = (name: string) => new RegExp(`^${name}: (.+)$`, "m").exec(shown.stdout)?.[1]?.trim()
      const version = field("Version")
      const arch = field("Architecture")
      if (version === undefined || arch === undefined) {
        return yield* Effect.fail(
          new ToolMissing({ tool: `${pkg}.deb`, neededFor, fix: `apt-cache show ${pkg} gave no version; rerun \`krunbox setup --force\`` })
        )
      }
      const file = path.join(debs, `${pkg}_${version.replaceAll(":", "%3a")}_${arch}.deb`)
      yield* run(this.aptGet, [...this.options(), "download", pkg], {
        step: neededFor,
        cwd: debs,
        fix: `check that Debian's archive has ${pkg} for this architecture, then rerun \`krunbox setup\``
      })
      if (!exists(file)) {
        return yield* Effect.fail(
          new ToolMissing({ tool: `${pkg}.deb`, neededFor, fix: `apt-get download ${pkg} did not write ${file}; rerun \`krunbox setup --force\`` })
        )
      }
      return file
    })
  }
}

/** `dpkg-deb -f <deb> Version` and `dpkg-deb -x <deb> <dir>`. */
export const debVersion = (deb: string, step: string) =>
  run("dpkg-deb", ["-f", deb, "Version"], { step, fix: `delete ${deb} and rerun \`krunbox setup\`` }).pipe(
    Effect.map((r) => r.stdout.trim())
  )

export const debExtract = (deb: string, dir: string, step: string) =>
  run("dpkg-deb", ["-x", deb, dir], { step, fix: `delete ${deb} and rerun \`krunbox setup\`` })

/** "1:5.5.0+ds-1" -> "5.5.0": the upstream part of a Debian version. */
export const upstreamVersion = (debianVersion: string): string =>
  debianVersion.replace(/^\d+:/, "").replace(/-[^-]*$/, "").replace(/[+~].*$/, "")
