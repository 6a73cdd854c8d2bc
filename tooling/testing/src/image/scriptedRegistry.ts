/**
 * A registry of a few dozen lines of node:http that serves OCI layouts (as `buildLayout` writes
 * them) and lets a test make any request misbehave: bodies that never end, transfers that stall,
 * hostile text in error bodies. `docker-registry` is for what registries do; this one is for what
 * a broken or hostile one does.
 */
import * as fs from "node:fs"
import type * as http from "node:http"
import { createServer } from "node:http"
import type * as net from "node:net"
import * as path from "node:path"

export type RegistryHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void | Promise<void>

export interface ScriptedRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string
  /** method and path of every request, in order, with its headers */
  readonly requests: Array<{ readonly method: string; readonly url: string; readonly headers: http.IncomingHttpHeaders }>
  /** body bytes written per request path (by the layout handler and by overrides through `count`) */
  readonly sent: Map<string, number>
  /** Serves `repository` from an OCI layout directory. */
  serve(repository: string, layoutDir: string): void
  /** Answers requests whose path contains `match` with `handler` instead (undefined removes it). */
  override(match: string, handler: RegistryHandler | undefined): void
  /** The normal answer from the served layouts, for an override that misbehaves only sometimes. */
  readonly fromLayout: RegistryHandler
  /** Adds `bytes` to `sent` for the request's path (for overrides that stream). */
  count(request: http.IncomingMessage, bytes: number): void
  stop(): Promise<void>
}

const manifestMediaType = (bytes: Buffer): string => {
  try {
    const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown; manifests?: unknown }
    if (typeof parsed.mediaType === "string") return parsed.mediaType
    return Array.isArray(parsed.manifests) ? "application/vnd.oci.image.index.v1+json" : "application/vnd.oci.image.manifest.v1+json"
  } catch {
    return "application/octet-stream"
  }
}

export const startScriptedRegistry = async (): Promise<ScriptedRegistry> => {
  const layouts = new Map<string, string>()
  const overrides = new Map<string, RegistryHandler>()
  const sockets = new Set<net.Socket>()
  const registry: ScriptedRegistry = {
    host: "",
    requests: [],
    sent: new Map(),
    serve: (repository, layoutDir) => void layouts.set(repository, layoutDir),
    override: (match, handler) => void (handler === undefined ? overrides.delete(match) : overrides.set(match, handler)),
    fromLayout: (request, response) => fromLayout(request, response),
    count: (request, bytes) => void registry.sent.set(request.url ?? "", (registry.sent.get(request.url ?? "") ?? 0) + bytes),
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }

  const fromLayout: RegistryHandler = (request, response) => {
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(request.url ?? "")
    if (request.url === "/v2/" || request.url === "/v2") {
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
      return
    }
    const layout = match === null ? undefined : layouts.get(match[1]!)
    if (match === null || layout === undefined) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "repository name not known to registry" }] }))
      return
    }
    let digest = match[3]!
    if (!digest.startsWith("sha256:")) {
      const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as {
        manifests: Array<{ digest: string; annotations?: Record<string, string> }>
      }
      const tagged = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === digest)
      if (tagged === undefined) {
        response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }))
        return
      }
      digest = tagged.digest
    }
    const file = path.join(layout, "blobs", "sha256", digest.slice("sha256:".length))
    if (!/^sha256:[a-f0-9]{64}$/.test(digest) || !fs.existsSync(file)) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown" }] }))
      return
    }
    const bytes = fs.readFileSync(file)
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "")
    const start = range === null ? 0 : Number(range[1])
    const body = bytes.subarray(start)
    const headers: http.OutgoingHttpHeaders = {
      "content-length": body.length,
      "docker-content-digest": digest,
      "content-type": match[2] === "manifests" ? manifestMediaType(bytes) : "application/octet-stream"
    }
    if (range !== null) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`
    response.writeHead(range === null ? 200 : 206, headers)
    registry.count(request, body.length)
    response.end(request.method === "HEAD" ? undefined : body)
  }

  const server = createServer((request, response) => {
    registry.requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers })
    const override = [...overrides.entries()].find(([match]) => (request.url ?? "").includes(match))?.[1]
    Promise.resolve((override ?? fromLayout)(request, response)).catch(() => response.destroy())
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  ;(registry as { host: string }).host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return registry
}
