/**
 * The runtime part of an OCI image configuration (Env, WorkingDir, Entrypoint, Cmd, User) and
 * the Docker rules for turning it into a command line.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { InvalidImageUser } from "./errors.js"

/**
 * What an image says about how to run it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageRunConfig {
  /** `KEY=value` strings, in image order */
  readonly env: ReadonlyArray<string>
  readonly workingDir: string | undefined
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  /** `user`, `uid`, `user:group` or `uid:gid`, as written in the image */
  readonly user: string | undefined
}

/**
 * The default PATH Docker uses when an image sets none.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const stringArray = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []

/**
 * Extracts the run configuration from a parsed image config blob.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromImageConfig = (imageConfig: unknown): ImageRunConfig => {
  const config =
    typeof imageConfig === "object" && imageConfig !== null && "config" in imageConfig
      ? ((imageConfig as { config?: unknown }).config as Record<string, unknown> | null | undefined)
      : undefined
  const c = config ?? {}
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined)
  return {
    env: stringArray(c.Env),
    workingDir: text(c.WorkingDir),
    entrypoint: stringArray(c.Entrypoint),
    cmd: stringArray(c.Cmd),
    user: text(c.User)
  }
}

/**
 * The argv Docker would run: a user command replaces `Cmd`, an entrypoint override replaces
 * `Entrypoint` and drops `Cmd`. Empty when the image defines nothing and none is given.
 *
 * @since 0.1.0
 * @category combinators
 */
export const command = (
  config: ImageRunConfig,
  overrides: { readonly entrypoint?: ReadonlyArray<string> | undefined; readonly args?: ReadonlyArray<string> | undefined } = {}
): ReadonlyArray<string> => {
  const entrypoint = overrides.entrypoint ?? config.entrypoint
  const args =
    overrides.args !== undefined && overrides.args.length > 0
      ? overrides.args
      : overrides.entrypoint !== undefined
        ? []
        : config.cmd
  return [...entrypoint, ...args]
}

/**
 * The image environment as key/value pairs, with Docker's default PATH when the image sets none.
 *
 * @since 0.1.0
 * @category combinators
 */
export const envPairs = (config: ImageRunConfig): ReadonlyArray<{ readonly key: string; readonly value: string }> => {
  const pairs = config.env.map((entry) => {
    const eq = entry.indexOf("=")
    return eq === -1 ? { key: entry, value: "" } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) }
  })
  return pairs.some((pair) => pair.key === "PATH") ? pairs : [{ key: "PATH", value: defaultPath }, ...pairs]
}

/**
 * Resolves `path` inside `rootfsDir` the way the guest would see it: symlinks (absolute ones
 * relative to the rootfs) are followed without ever leaving the rootfs. Returns the guest path
 * and the host path of the final target, or undefined when it does not exist.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveInRootfs = (
  rootfsDir: string,
  guestPath: string
): { readonly guestPath: string; readonly hostPath: string; readonly stats: fs.Stats } | undefined => {
  const real: Array<string> = []
  const pending = guestPath.split("/")
  let hops = 0
  let stats: fs.Stats | undefined = fs.statSync(rootfsDir)
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === "" || part === ".") continue
    if (part === "..") {
      real.pop()
      continue
    }
    const candidate = `${rootfsDir}/${[...real, part].join("/")}`
    try {
      stats = fs.lstatSync(candidate)
    } catch {
      return undefined
    }
    if (stats.isSymbolicLink()) {
      if (++hops > 40) return undefined
      const target = fs.readlinkSync(candidate)
      if (target.startsWith("/")) real.length = 0
      pending.unshift(...target.split("/"))
      continue
    }
    real.push(part)
  }
  const guest = `/${real.join("/")}`
  return { guestPath: guest, hostPath: `${rootfsDir}${guest === "/" ? "" : guest}`, stats }
}

/**
 * Finds an executable the way `execvp` in the guest would: names with a `/` are taken as they
 * are; other names are searched in PATH (from `env`, else Docker's default) inside the rootfs.
 * Returns the guest path (symlinks not resolved, so busybox applets keep their name), or
 * undefined when nothing executable matches.
 *
 * @since 0.1.0
 * @category utils
 */
export const findExecutable = (
  rootfsDir: string,
  file: string,
  env: ReadonlyArray<{ readonly key: string; readonly value: string }> = []
): string | undefined => {
  const isExecutableFile = (guestPath: string) => {
    const resolved = resolveInRootfs(rootfsDir, guestPath)
    return resolved !== undefined && resolved.stats.isFile() && (resolved.stats.mode & 0o111) !== 0
  }
  if (file.includes("/")) return isExecutableFile(file) ? file : undefined
  const searchPath = env.find((pair) => pair.key === "PATH")?.value ?? defaultPath
  for (const dir of searchPath.split(":")) {
    if (dir === "") continue
    const candidate = `${dir.replace(/\/+$/, "")}/${file}`
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

const readDatabase = (rootfsDir: string, guestPath: string): Array<Array<string>> => {
  const resolved = resolveInRootfs(rootfsDir, guestPath)
  if (resolved === undefined || !resolved.stats.isFile()) return []
  return fs
    .readFileSync(resolved.hostPath, "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"))
}

/**
 * Resolves an image `User` (`name`, `uid`, `name:group`, `uid:gid`) against the rootfs's
 * `/etc/passwd` and `/etc/group`. An empty or undefined user is root.
 *
 * @throws InvalidImageUser when a name is not found
 * @since 0.1.0
 * @category utils
 */
export const resolveUser = (rootfsDir: string, user: string | undefined): { readonly uid: number; readonly gid: number } => {
  if (user === undefined || user === "") return { uid: 0, gid: 0 }
  const [userPart = "", groupPart] = user.split(":", 2)
  const passwd = readDatabase(rootfsDir, "/etc/passwd")
  let uid: number
  let gid: number | undefined
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart)
    const entry = passwd.find((fields) => fields[2] === userPart)
    gid = entry !== undefined ? Number(entry[3]) : uid === 0 ? 0 : undefined
  } else {
    const entry = passwd.find((fields) => fields[0] === userPart)
    if (entry === undefined) throw new InvalidImageUser({ user, reason: `no user "${userPart}" in /etc/passwd of the image` })
    uid = Number(entry[2])
    gid = Number(entry[3])
  }
  if (groupPart !== undefined && groupPart !== "") {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart)
    else {
      const entry = readDatabase(rootfsDir, "/etc/group").find((fields) => fields[0] === groupPart)
      if (entry === undefined) throw new InvalidImageUser({ user, reason: `no group "${groupPart}" in /etc/group of the image` })
      gid = Number(entry[2])
    }
  }
  if (!Number.isSafeInteger(uid) || (gid !== undefined && !Number.isSafeInteger(gid))) {
    throw new InvalidImageUser({ user, reason: "the passwd/group entry has a malformed id" })
  }
  return { uid, gid: gid ?? uid }
}
