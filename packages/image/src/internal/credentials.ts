/**
 * Registry credentials from Docker's client configuration (`~/.docker/config.json`, or
 * `$DOCKER_CONFIG/config.json`): the `auths` map with base64 `auth` = "user:password", or
 * explicit `username` / `password` fields. Credential helpers (`credsStore`, `credHelpers`)
 * are not run.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export interface Credentials {
  readonly username: string
  readonly password: string
  /** human-readable origin, used in error hints */
  readonly source: string
}

export const defaultDockerConfigPath = (): string =>
  process.env.DOCKER_CONFIG !== undefined && process.env.DOCKER_CONFIG !== ""
    ? path.join(process.env.DOCKER_CONFIG, "config.json")
    : path.join(os.homedir(), ".docker", "config.json")

/** `https://index.docker.io/v1/` and `host:port` style keys reduced to `host[:port]`. */
const hostOfKey = (key: string): string => {
  let host = key.replace(/^[a-z]+:\/\//i, "")
  const slash = host.indexOf("/")
  if (slash !== -1) host = host.slice(0, slash)
  return host.toLowerCase()
}

const dockerHubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"])

const sameRegistry = (a: string, b: string): boolean =>
  a === b || (dockerHubAliases.has(a) && dockerHubAliases.has(b))

interface AuthEntry {
  readonly auth?: unknown
  readonly username?: unknown
  readonly password?: unknown
}

/** Credentials for `registry`, or undefined when the file or an entry for it is absent. */
export const lookupCredentials = (registry: string, configPath: string): Credentials | undefined => {
  let text: string
  try {
    text = fs.readFileSync(configPath, "utf8")
  } catch {
    return undefined
  }
  let auths: Record<string, AuthEntry>
  try {
    const parsed = JSON.parse(text) as { auths?: Record<string, AuthEntry> }
    if (typeof parsed !== "object" || parsed === null || typeof parsed.auths !== "object" || parsed.auths === null) {
      return undefined
    }
    auths = parsed.auths
  } catch {
    return undefined
  }
  const wanted = registry.toLowerCase()
  for (const [key, entry] of Object.entries(auths)) {
    if (!sameRegistry(hostOfKey(key), wanted) || typeof entry !== "object" || entry === null) continue
    const source = `${configPath} (auths["${key}"])`
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8")
      const colon = decoded.indexOf(":")
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source }
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") {
      return { username: entry.username, password: entry.password, source }
    }
  }
  return undefined
}
