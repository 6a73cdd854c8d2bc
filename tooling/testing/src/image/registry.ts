/**
 * Real registries on loopback for the image tests: Debian's `docker-registry` (distribution
 * 2.8) started per test file with a temporary config, optionally with htpasswd basic auth or
 * bearer-token auth (served by `startTokenServer`), filled with `skopeo copy`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process"
import { createSign, randomBytes, X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { promisify } from "node:util"

const execFileAsync = promisify(execFile)

const onPath = (name: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const requiredTools = { "docker-registry": "docker-registry", skopeo: "skopeo", htpasswd: "apache2-utils", openssl: "openssl" } as const

/**
 * Makes sure docker-registry, skopeo, htpasswd and openssl are installed, installing the
 * Debian packages when running as root. Returns undefined when ready, else why not.
 */
export const ensureRegistryTools = (): string | undefined => {
  const missing = Object.entries(requiredTools).filter(([tool]) => !onPath(tool))
  if (missing.length === 0) return undefined
  const packages = [...new Set(missing.map(([, pkg]) => pkg))]
  if (process.getuid?.() !== 0) {
    return `needs ${missing.map(([tool]) => tool).join(", ")} (apt-get install ${packages.join(" ")}) and is not root to install them`
  }
  const install = () =>
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", ...packages], {
      stdio: "ignore",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    })
  try {
    install()
  } catch {
    try {
      execFileSync("apt-get", ["update", "-o", "DPkg::Lock::Timeout=600"], { stdio: "ignore" })
      install()
    } catch (error) {
      return `apt-get install ${packages.join(" ")} failed: ${(error as Error).message}`
    }
  }
  const still = Object.keys(requiredTools).filter((tool) => !onPath(tool))
  return still.length === 0 ? undefined : `still missing after apt-get: ${still.join(", ")}`
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const waitForHttp = async (url: string, child: ChildProcess, log: () => string) => {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`registry exited with ${child.exitCode}: ${log()}`)
    try {
      const response = await fetch(url)
      await response.body?.cancel()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  throw new Error(`registry at ${url} did not come up: ${log()}`)
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string
  readonly port: number
  /** the registry's storage root (blobs under docker/registry/v2/blobs/sha256/xx/<hex>/data) */
  readonly storageDir: string
  blobDataPath(digest: string): string
  stop(): Promise<void>
}

export type RegistryAuth =
  | { readonly kind: "none" }
  | { readonly kind: "htpasswd"; readonly username: string; readonly password: string }
  | { readonly kind: "token"; readonly realm: string; readonly service: string; readonly issuer: string; readonly certPath: string }

export const startRegistry = async (workDir: string, auth: RegistryAuth = { kind: "none" }): Promise<RunningRegistry> => {
  fs.mkdirSync(workDir, { recursive: true })
  const storageDir = path.join(workDir, "storage")
  fs.mkdirSync(storageDir, { recursive: true })
  const port = await freePort()
  let authYaml = ""
  if (auth.kind === "htpasswd") {
    const htpasswdPath = path.join(workDir, "htpasswd")
    const line = execFileSync("htpasswd", ["-Bbn", auth.username, auth.password], { encoding: "utf8" }).trim()
    fs.writeFileSync(htpasswdPath, `${line}\n`)
    authYaml = `auth:\n  htpasswd:\n    realm: krunbox-test\n    path: ${htpasswdPath}\n`
  } else if (auth.kind === "token") {
    authYaml = `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.certPath}\n`
  }
  const configPath = path.join(workDir, "config.yml")
  fs.writeFileSync(
    configPath,
    `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${storageDir}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${authYaml}`
  )
  let output = ""
  // setpriv --pdeathsig: the registry dies with the test process even if cleanup never runs
  const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", "docker-registry", "serve", configPath], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, child, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    storageDir,
    blobDataPath: (digest) => {
      const hex = digest.slice("sha256:".length)
      return path.join(storageDir, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data")
    },
    stop
  }
}

/** Pushes an OCI layout (every platform of an index) with skopeo. */
export const pushLayout = async (
  layoutDir: string,
  tag: string,
  destination: string,
  credentials?: { readonly username: string; readonly password: string }
): Promise<void> => {
  await execFileAsync(
    "skopeo",
    [
      "copy",
      "--all",
      "--preserve-digests",
      "--dest-tls-verify=false",
      ...(credentials ? ["--dest-creds", `${credentials.username}:${credentials.password}`] : []),
      `oci:${layoutDir}:${tag}`,
      `docker://${destination}`
    ],
    { maxBuffer: 16 * 1024 * 1024 }
  )
}

export interface TokenServer {
  readonly realm: string
  readonly service: string
  readonly issuer: string
  readonly certPath: string
  /** scopes requested so far, with whether basic credentials came along */
  readonly requests: Array<{ readonly scope: string; readonly authenticated: boolean }>
  stop(): Promise<void>
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url")

/**
 * A token endpoint per the Docker token authentication spec: anonymous callers get `pull`
 * tokens, callers with the given basic credentials get `pull,push`. Tokens are RS256 JWTs
 * with an `x5c` header carrying a self-signed certificate that the registry trusts.
 */
export const startTokenServer = async (
  workDir: string,
  admin: { readonly username: string; readonly password: string }
): Promise<TokenServer> => {
  fs.mkdirSync(workDir, { recursive: true })
  const keyPath = path.join(workDir, "token.key")
  const certPath = path.join(workDir, "token.crt")
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=krunbox-test-token"],
    { stdio: "ignore" }
  )
  const key = fs.readFileSync(keyPath)
  const certDer = new X509Certificate(fs.readFileSync(certPath)).raw
  const service = "krunbox-test-registry"
  const issuer = "krunbox-test-issuer"
  const requests: Array<{ scope: string; authenticated: boolean }> = []
  const expectedBasic = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString("base64")}`
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    const scope = url.searchParams.get("scope") ?? ""
    const authorization = req.headers.authorization
    if (authorization !== undefined && authorization !== expectedBasic) {
      res.writeHead(401, { "content-type": "application/json" })
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }))
      return
    }
    const authenticated = authorization !== undefined
    requests.push({ scope, authenticated })
    const access = scope
      .split(" ")
      .filter((s) => s.startsWith("repository:"))
      .map((s) => {
        const [, name] = s.split(":")
        return { type: "repository", name, actions: authenticated ? ["pull", "push"] : ["pull"] }
      })
    const now = Math.floor(Date.now() / 1000)
    const headerPart = base64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] }))
    const claims = base64url(
      JSON.stringify({ iss: issuer, sub: authenticated ? admin.username : "", aud: service, exp: now + 600, nbf: now - 60, iat: now, jti: randomBytes(8).toString("hex"), access })
    )
    const signature = createSign("RSA-SHA256").update(`${headerPart}.${claims}`).sign(key)
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ token: `${headerPart}.${claims}.${base64url(signature)}`, expires_in: 600 }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export interface CuttingProxy {
  readonly host: string
  /** raw request heads seen, in order */
  readonly requests: Array<string>
  /** while set, a response to a request whose head contains `match` is cut after `afterBytes` bytes */
  cut: { readonly match: string; readonly afterBytes: number } | undefined
  stop(): Promise<void>
}

/**
 * A TCP proxy in front of a registry that can drop the connection in the middle of a
 * response, the way a flaky network does.
 */
export const startCuttingProxy = async (targetPort: number): Promise<CuttingProxy> => {
  const sockets = new Set<net.Socket>()
  const proxy: CuttingProxy = {
    host: "",
    requests: [],
    cut: undefined,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1")
    sockets.add(client)
    sockets.add(upstream)
    let budget: number | undefined
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1")
      if (/^(GET|HEAD|POST|PUT|PATCH|DELETE) /.test(text)) {
        const head = text.split("\r\n\r\n")[0]!
        proxy.requests.push(head)
        budget = proxy.cut !== undefined && head.includes(proxy.cut.match) ? proxy.cut.afterBytes : undefined
      }
      upstream.write(chunk)
    })
    upstream.on("data", (chunk: Buffer) => {
      if (budget === undefined) {
        client.write(chunk)
        return
      }
      if (chunk.length < budget) {
        budget -= chunk.length
        client.write(chunk)
        return
      }
      client.write(chunk.subarray(0, budget))
      budget = undefined
      // let the bytes reach the client before the connection drops
      client.end(() => client.destroy())
      upstream.destroy()
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on("error", close)
    upstream.on("error", close)
    client.on("close", close)
    upstream.on("close", close)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  ;(proxy as { host: string }).host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return proxy
}
