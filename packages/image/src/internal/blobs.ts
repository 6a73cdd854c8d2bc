/**
 * The content-addressed blob cache: `blobs/sha256/<hex>` holds only verified content.
 * Downloads go to `partial/sha256-<hex>` and are renamed into place after their digest checks
 * out; an interrupted download stays in `partial/` and is resumed with an HTTP Range request.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { DigestMismatch, type ImageError, isImageError, TruncatedDownload } from "../errors.js"
import { fromFsError } from "./fsErrors.js"
import { withFileLock } from "./lock.js"
import { removeFile } from "./removeTree.js"
import type { RegistryClient } from "./registry.js"

export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
}

export type BlobStatus = "cached" | "downloading" | "resuming" | "done"

export interface DownloadOptions {
  /** extra attempts after an interrupted transfer, each resuming where the last stopped */
  readonly retries: number
  readonly onProgress?: (status: BlobStatus, receivedBytes: number) => void
  readonly signal?: AbortSignal | undefined
  /**
   * A transfer (or the wait for its response) that receives nothing for this long is
   * interrupted and, like a broken one, resumed while retries last
   */
  readonly idleTimeoutMs: number
}

const hexOf = (digest: string): string => {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`)
  return digest.slice("sha256:".length)
}

const hashFile = async (file: string): Promise<{ hex: string; size: number }> => {
  const hash = createHash("sha256")
  let size = 0
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { hex: hash.digest("hex"), size }
}

class Interrupted extends Error {
  constructor(
    message: string,
    /** set when the registry could not be reached at all */
    readonly unreachable?: ImageError
  ) {
    super(message)
  }
}

export class BlobStore {
  readonly blobsDir: string
  readonly partialDir: string

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, "blobs", "sha256")
    this.partialDir = path.join(root, "partial")
  }

  ensureDirs(): void {
    for (const dir of [this.blobsDir, this.partialDir]) {
      try {
        fs.mkdirSync(dir, { recursive: true })
      } catch (error) {
        throw fromFsError(error, dir, "creating")
      }
    }
  }

  path(digest: string): string {
    return path.join(this.blobsDir, hexOf(digest))
  }

  partialPath(digest: string): string {
    return path.join(this.partialDir, `sha256-${hexOf(digest)}`)
  }

  has(digest: string): boolean {
    return fs.existsSync(this.path(digest))
  }

  size(digest: string): number | undefined {
    try {
      return fs.statSync(this.path(digest)).size
    } catch {
      return undefined
    }
  }

  read(digest: string): Buffer {
    try {
      return fs.readFileSync(this.path(digest))
    } catch (error) {
      throw fromFsError(error, this.path(digest), "reading")
    }
  }

  /** Stores bytes already in memory (manifests) after checking their digest. */
  writeVerified(digest: string, bytes: Buffer, source: string): void {
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`
    if (actual !== digest) throw new DigestMismatch({ expected: digest, actual, what: "blob", source })
    if (this.has(digest)) return
    const partial = `${this.partialPath(digest)}.${process.pid}.${Date.now()}`
    try {
      fs.writeFileSync(partial, bytes)
      fs.renameSync(partial, this.path(digest))
    } catch (error) {
      fs.rmSync(partial, { force: true })
      throw fromFsError(error, this.path(digest), "writing")
    }
  }

  remove(digest: string): number {
    return removeFile(this.path(digest))
  }

  /**
   * Makes sure a verified copy of the blob is in the store, downloading (or resuming) it.
   * Holds a per-blob lock so that concurrent pulls of the same layer share one download.
   */
  async fetch(client: RegistryClient, descriptor: Descriptor, options: DownloadOptions): Promise<void> {
    const partial = this.partialPath(descriptor.digest)
    await withFileLock(`${partial}.lock`, async () => {
      if (this.has(descriptor.digest)) {
        options.onProgress?.("cached", descriptor.size)
        return
      }
      let attempt = 0
      for (;;) {
        try {
          await this.downloadOnce(client, descriptor, partial, options)
          options.onProgress?.("done", descriptor.size)
          return
        } catch (error) {
          if (!(error instanceof Interrupted)) throw error
          const received = fs.existsSync(partial) ? fs.statSync(partial).size : 0
          if (attempt++ >= options.retries || options.signal?.aborted) {
            // a registry that never answered is unreachable, not a broken transfer
            if (error.unreachable !== undefined && received === 0) throw error.unreachable
            throw new TruncatedDownload({
              digest: descriptor.digest,
              expectedBytes: descriptor.size,
              receivedBytes: received,
              detail: error.message
            })
          }
          await sleep(Math.min(2000, 200 * attempt))
        }
      }
    })
  }

  private async downloadOnce(
    client: RegistryClient,
    descriptor: Descriptor,
    partial: string,
    options: DownloadOptions
  ): Promise<void> {
    const { digest, size: expectedSize } = descriptor
    const source = `${client.baseUrl}/blobs/${digest}`
    let offset = 0
    try {
      offset = fs.statSync(partial).size
    } catch {
      offset = 0
    }
    if (offset > expectedSize) {
      fs.rmSync(partial, { force: true })
      offset = 0
    }
    const hash = createHash("sha256")
    if (offset > 0) {
      const existing = await hashFileInto(partial, hash)
      offset = existing
    }
    if (offset === expectedSize) {
      // a complete partial left by an interrupted rename: verify and keep it
      return this.commit(partial, digest, hash.digest("hex"), source)
    }

    // undici would wait 5 minutes for headers and 5 more between body chunks; a stalled
    // registry is treated as a broken transfer after idleTimeoutMs instead
    const idle = new AbortController()
    const timer = setTimeout(() => idle.abort(), options.idleTimeoutMs)
    const signal = options.signal === undefined ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    try {
      return await this.transfer(client, descriptor, partial, options, { hash, offset, signal, touch: () => timer.refresh() })
    } catch (error) {
      if (idle.signal.aborted && options.signal?.aborted !== true) {
        const received = fs.existsSync(partial) ? fs.statSync(partial).size : 0
        throw new Interrupted(`the registry sent no data for ${options.idleTimeoutMs / 1000} s (${received} of ${expectedSize} bytes received)`)
      }
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  private async transfer(
    client: RegistryClient,
    descriptor: Descriptor,
    partial: string,
    options: DownloadOptions,
    state: { readonly hash: ReturnType<typeof createHash>; readonly offset: number; readonly signal: AbortSignal; readonly touch: () => void }
  ): Promise<void> {
    const { digest, size: expectedSize } = descriptor
    const { hash, offset } = state
    const source = `${client.baseUrl}/blobs/${digest}`
    let response: Response
    try {
      response = await client.getBlob(digest, offset, state.signal)
    } catch (error) {
      if (isImageError(error) && error._tag === "RegistryUnreachable") throw new Interrupted(error.detail, error)
      throw error
    }
    state.touch()
    if (response.status === 416) {
      // the registry does not accept our range: start over
      await response.body?.cancel()
      fs.rmSync(partial, { force: true })
      throw new Interrupted("range not satisfiable, restarting")
    }
    let append = false
    if (offset > 0 && response.status === 206) {
      const range = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")
      append = range !== null && Number(range[1]) === offset
    }
    let received = offset
    let restartHash = hash
    if (!append) {
      received = 0
      restartHash = createHash("sha256")
    }
    options.onProgress?.(append ? "resuming" : "downloading", received)

    let handle: fs.promises.FileHandle
    try {
      handle = await fs.promises.open(partial, append ? "a" : "w")
    } catch (error) {
      await response.body?.cancel()
      throw fromFsError(error, partial, "creating")
    }
    let closed = false
    try {
      if (response.body === null) throw new Interrupted("empty response body")
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          state.touch()
          if (received + chunk.length > expectedSize) {
            await handle.close()
            closed = true
            fs.rmSync(partial, { force: true })
            throw new DigestMismatch({
              expected: digest,
              actual: `unknown (the registry sent more than the ${expectedSize} bytes the manifest announces)`,
              what: "blob",
              source
            })
          }
          restartHash.update(chunk)
          await writeAll(handle, chunk, partial)
          received += chunk.length
          options.onProgress?.("downloading", received)
        }
      } catch (error) {
        if (isImageError(error) || isFsError(error)) throw error
        throw new Interrupted(describe(error))
      }
      if (received < expectedSize) throw new Interrupted(`the registry closed the transfer at byte ${received}`)
      await handle.sync()
    } finally {
      if (!closed) await handle.close().catch(() => undefined)
    }
    return this.commit(partial, digest, restartHash.digest("hex"), source)
  }

  private commit(partial: string, digest: string, actualHex: string, source: string): void {
    const actual = `sha256:${actualHex}`
    if (actual !== digest) {
      fs.rmSync(partial, { force: true })
      throw new DigestMismatch({ expected: digest, actual, what: "blob", source })
    }
    try {
      fs.renameSync(partial, this.path(digest))
    } catch (error) {
      throw fromFsError(error, this.path(digest), "storing")
    }
  }

  /** Verifies a stored blob again (used when its integrity is in doubt). */
  async verify(digest: string): Promise<boolean> {
    try {
      return `sha256:${(await hashFile(this.path(digest))).hex}` === digest
    } catch {
      return false
    }
  }
}

const isFsError = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "syscall" in error && "code" in error

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message
}

const writeAll = async (handle: fs.promises.FileHandle, chunk: Uint8Array, file: string): Promise<void> => {
  let offset = 0
  try {
    while (offset < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
      offset += bytesWritten
    }
  } catch (error) {
    throw fromFsError(error, file, "writing")
  }
}

const hashFileInto = async (file: string, hash: ReturnType<typeof createHash>): Promise<number> => {
  let size = 0
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return size
}
