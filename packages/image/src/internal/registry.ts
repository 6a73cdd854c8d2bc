/**
 * A minimal OCI distribution (Docker Registry HTTP API v2) client: manifests and blobs, with
 * anonymous or credentialed bearer tokens and basic auth.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import {
  AuthFailed,
  DigestMismatch,
  ImageNotFound,
  MetadataTooLarge,
  RegistryProtocolError,
  RegistryUnreachable
} from "../errors.js"
import type { ImageReference } from "../ImageReference.js"
import { apiHost, format, isLoopbackRegistry } from "../ImageReference.js"
import type { Credentials } from "./credentials.js"

export const mediaTypes = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws"
} as const

const manifestAccept = [
  mediaTypes.ociIndex,
  mediaTypes.ociManifest,
  mediaTypes.dockerList,
  mediaTypes.dockerManifest
].join(", ")

/**
 * What krunbox reads of a registry's answers, at most (docs/images.md, "Limits"). Everything
 * but layers is read into memory, so everything but layers is capped while it streams.
 */
export const limits = {
  /** a manifest or index (containerd's limit too) */
  manifestBytes: 4 * 1024 * 1024,
  /** an image config, refused from its descriptor's size before the download starts */
  configBytes: 8 * 1024 * 1024,
  /** a bearer token response */
  tokenBytes: 1024 * 1024,
  /** an error body: only its start is kept for the message */
  errorBodyBytes: 16 * 1024
} as const

const userAgent = "krunbox/0.1.0"

export interface RegistryClientOptions {
  /** speak plain HTTP (always done for loopback registries) */
  readonly insecure: boolean
  readonly credentials: Credentials | undefined
}

export interface FetchedManifest {
  readonly bytes: Buffer
  readonly mediaType: string
  readonly digest: string
}

interface Challenge {
  readonly scheme: string
  readonly params: Record<string, string>
}

const parseChallenge = (header: string | null): Challenge | undefined => {
  if (header === null) return undefined
  const match = /^\s*(\w+)\s*(.*)$/.exec(header)
  if (match === null) return undefined
  const params: Record<string, string> = {}
  for (const param of match[2]!.matchAll(/(\w+)=("((?:[^"\\]|\\.)*)"|[^,\s]*)/g)) {
    params[param[1]!.toLowerCase()] = param[3] !== undefined ? param[3].replace(/\\(.)/g, "$1") : param[2]!
  }
  return { scheme: match[1]!.toLowerCase(), params }
}

const describeFetchError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return `${typeof code === "string" ? `${code}: ` : ""}${cause.message}`
  }
  return error.message
}

/**
 * Reads a body up to `limit` bytes while it streams and stops there, whatever Content-Length
 * says or does not say (a chunked body has none). `truncated` is set when there was more.
 */
export const readCapped = async (response: Response, limit: number): Promise<{ readonly bytes: Buffer; readonly truncated: boolean }> => {
  if (response.body === null) return { bytes: Buffer.alloc(0), truncated: false }
  const chunks: Array<Uint8Array> = []
  let total = 0
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { bytes: Buffer.concat(chunks), truncated: false }
      if (total + value.length > limit) {
        chunks.push(value.subarray(0, limit - total))
        await reader.cancel().catch(() => undefined)
        return { bytes: Buffer.concat(chunks), truncated: true }
      }
      chunks.push(value)
      total += value.length
    }
  } finally {
    reader.releaseLock()
  }
}

const declaredLength = (response: Response): number | undefined => {
  const header = response.headers.get("content-length")
  const value = header === null ? Number.NaN : Number(header)
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

const registryErrorDetail = async (response: Response): Promise<string> => {
  const { bytes, truncated } = await readCapped(response, limits.errorBodyBytes).catch(() => ({ bytes: Buffer.alloc(0), truncated: false }))
  const text = bytes.toString("utf8")
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`).join("; ")
    }
  } catch {
    // not JSON (or cut off): fall through
  }
  return `HTTP ${response.status}${text ? ` ${text.slice(0, 200).trim()}${truncated || text.length > 200 ? "…" : ""}` : ""}`
}

export class RegistryClient {
  readonly baseUrl: string
  private authorization: string | undefined
  private readonly displayRef: string

  constructor(
    readonly ref: ImageReference,
    private readonly options: RegistryClientOptions
  ) {
    const scheme = options.insecure || isLoopbackRegistry(ref.registry) ? "http" : "https"
    this.baseUrl = `${scheme}://${apiHost(ref.registry)}/v2/${ref.repository}`
    this.displayRef = format(ref)
  }

  private async rawFetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init)
    } catch (error) {
      if (error instanceof Error && error.name === "AbortError") throw error
      throw new RegistryUnreachable({ registry: this.ref.registry, url, detail: describeFetchError(error) })
    }
  }

  /** {@link readCapped}, with a transfer that breaks off (or times out) reported as RegistryUnreachable. */
  private async readBody(response: Response, limit: number, url: string): Promise<{ readonly bytes: Buffer; readonly truncated: boolean }> {
    try {
      return await readCapped(response, limit)
    } catch (error) {
      throw new RegistryUnreachable({ registry: this.ref.registry, url, detail: `the response broke off: ${describeFetchError(error)}` })
    }
  }

  private authFailed(status: number, detail: string, withCredentials: boolean): AuthFailed {
    return new AuthFailed({
      registry: this.ref.registry,
      reference: this.displayRef,
      status,
      credentialSource: withCredentials ? this.options.credentials?.source : undefined,
      detail
    })
  }

  private basicHeader(): string | undefined {
    const credentials = this.options.credentials
    return credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`
  }

  private async fetchToken(challenge: Challenge): Promise<string> {
    const realm = challenge.params.realm
    if (realm === undefined) {
      throw new RegistryProtocolError({ registry: this.ref.registry, url: this.baseUrl, detail: "bearer challenge without a realm" })
    }
    const url = new URL(realm)
    if (challenge.params.service !== undefined) url.searchParams.set("service", challenge.params.service)
    url.searchParams.set("scope", challenge.params.scope ?? `repository:${this.ref.repository}:pull`)
    const basic = this.basicHeader()
    const response = await this.rawFetch(url.toString(), {
      headers: { "user-agent": userAgent, ...(basic !== undefined ? { authorization: basic } : {}) },
      signal: AbortSignal.timeout(60_000)
    })
    if (response.status === 401 || response.status === 403) {
      throw this.authFailed(response.status, `token endpoint ${url.origin}${url.pathname}: ${await registryErrorDetail(response)}`, basic !== undefined)
    }
    if (!response.ok) {
      throw new RegistryProtocolError({ registry: this.ref.registry, url: url.toString(), detail: await registryErrorDetail(response) })
    }
    const { bytes, truncated } = await this.readBody(response, limits.tokenBytes, url.toString())
    if (truncated) {
      throw new MetadataTooLarge({ what: "token response", url: url.toString(), limitBytes: limits.tokenBytes, announcedBytes: declaredLength(response) })
    }
    let body: { token?: unknown; access_token?: unknown } = {}
    try {
      body = JSON.parse(bytes.toString("utf8")) as typeof body
    } catch {
      // no token: reported below
    }
    const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined
    if (token === undefined || token === "") {
      throw new RegistryProtocolError({ registry: this.ref.registry, url: url.toString(), detail: "token response without a token" })
    }
    return `Bearer ${token}`
  }

  /** GET with authentication: answers a 401 challenge once, then reports AuthFailed. */
  async get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const send = () =>
      this.rawFetch(url, {
        headers: {
          "user-agent": userAgent,
          ...headers,
          ...(this.authorization !== undefined ? { authorization: this.authorization } : {})
        },
        ...(signal !== undefined ? { signal } : {})
      })
    let response = await send()
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get("www-authenticate"))
      await response.body?.cancel()
      const hadAuthorization = this.authorization !== undefined
      if (challenge?.scheme === "bearer") {
        this.authorization = await this.fetchToken(challenge)
      } else if (challenge?.scheme === "basic") {
        const basic = this.basicHeader()
        if (basic === undefined || hadAuthorization) {
          throw this.authFailed(401, "the registry requires basic authentication", basic !== undefined)
        }
        this.authorization = basic
      } else {
        throw this.authFailed(401, `unsupported authentication challenge ${JSON.stringify(response.headers.get("www-authenticate"))}`, false)
      }
      response = await send()
      if (response.status === 401) {
        const detail = await registryErrorDetail(response)
        throw this.authFailed(
          401,
          `${detail} (the repository may not exist, or it requires other credentials)`,
          this.options.credentials !== undefined
        )
      }
    }
    if (response.status === 403) {
      throw this.authFailed(403, await registryErrorDetail(response), this.options.credentials !== undefined)
    }
    return response
  }

  /** Fetches a manifest or index by tag or digest and verifies its digest. */
  async getManifest(tagOrDigest: string): Promise<FetchedManifest> {
    const url = `${this.baseUrl}/manifests/${tagOrDigest}`
    const response = await this.get(url, { accept: manifestAccept }, AbortSignal.timeout(120_000))
    if (response.status === 404) {
      throw new ImageNotFound({
        reference: this.displayRef,
        registry: this.ref.registry,
        detail: await registryErrorDetail(response)
      })
    }
    if (!response.ok) {
      throw new RegistryProtocolError({ registry: this.ref.registry, url, detail: await registryErrorDetail(response) })
    }
    const announced = declaredLength(response)
    if (announced !== undefined && announced > limits.manifestBytes) {
      await response.body?.cancel().catch(() => undefined)
      throw new MetadataTooLarge({ what: "manifest", url, limitBytes: limits.manifestBytes, announcedBytes: announced })
    }
    const { bytes, truncated } = await this.readBody(response, limits.manifestBytes, url)
    if (truncated) throw new MetadataTooLarge({ what: "manifest", url, limitBytes: limits.manifestBytes, announcedBytes: undefined })
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`
    const expected = tagOrDigest.startsWith("sha256:")
      ? tagOrDigest
      : (response.headers.get("docker-content-digest") ?? undefined)
    if (expected !== undefined && expected.startsWith("sha256:") && expected !== digest) {
      throw new DigestMismatch({ expected, actual: digest, what: "manifest", source: url })
    }
    let mediaType = (response.headers.get("content-type") ?? "").split(";")[0]!.trim()
    if (mediaType === "" || mediaType === "application/json" || mediaType === "text/plain") {
      try {
        const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown; manifests?: unknown; layers?: unknown }
        mediaType =
          typeof parsed.mediaType === "string"
            ? parsed.mediaType
            : Array.isArray(parsed.manifests)
              ? mediaTypes.ociIndex
              : mediaTypes.ociManifest
      } catch {
        throw new RegistryProtocolError({ registry: this.ref.registry, url, detail: "manifest is not JSON" })
      }
    }
    return { bytes, mediaType, digest }
  }

  /** Starts a blob download, from `offset` when it is above zero (HTTP Range). */
  async getBlob(digest: string, offset: number, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}/blobs/${digest}`
    const response = await this.get(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, signal)
    if (response.status === 404) {
      throw new ImageNotFound({
        reference: this.displayRef,
        registry: this.ref.registry,
        detail: `blob ${digest}: ${await registryErrorDetail(response)}`
      })
    }
    if (!response.ok && response.status !== 416) {
      throw new RegistryProtocolError({ registry: this.ref.registry, url, detail: await registryErrorDetail(response) })
    }
    return response
  }
}
