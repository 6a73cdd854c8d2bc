/**
 * The local image store: pulls OCI / Docker v2 images into a content-addressed cache, unpacks
 * each image once into a flattened base directory, and hands out per-run root file systems
 * that never modify the cache.
 *
 * Layout under `<cacheDir>/images/` (see docs/images.md):
 *
 * ```
 * blobs/sha256/<hex>     verified manifests, configs and layers
 * partial/               downloads in progress (resumed on the next pull)
 * refs/<sha256>.json     one record per pulled reference
 * rootfs/<hex>/          unpacked base of a manifest (read-only by convention)
 * tmp/<hex>-…/           bases being unpacked (under rootfs/<hex>.lock)
 * pulls/<token>.json     the blobs a pull in progress is fetching
 * runs/<pid>-<id>/       per-run root file systems (overlay mount or copy)
 * ```
 *
 * @since 0.1.0
 */
import { defaultCacheDir } from "@krunbox/core/CacheDir"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { pipeline, type Readable } from "node:stream"
import * as zlib from "node:zlib"
import {
  CorruptLayer,
  DigestMismatch,
  ImageNotPulled,
  MetadataTooLarge,
  NoMatchingPlatform,
  RegistryProtocolError
} from "./errors.js"
import type { ImageRunConfig } from "./ImageConfig.js"
import * as ImageConfig from "./ImageConfig.js"
import * as Reference from "./ImageReference.js"
import * as PlatformModule from "./Platform.js"
import type { Platform } from "./Platform.js"
import { BlobStore, type Descriptor } from "./internal/blobs.js"
import { fromFsError } from "./internal/fsErrors.js"
import { defaultDockerConfigPath, lookupCredentials } from "./internal/credentials.js"
import { diskUsage } from "./internal/diskUsage.js"
import { lockHeld, tryFileLock, withFileLock } from "./internal/lock.js"
import { PullMarker, readPullMarkers } from "./internal/pullMarker.js"
import { limits, mediaTypes, RegistryClient } from "./internal/registry.js"
import { isRoot, overlaySupported, RunDirectories, type RootfsStrategy, widenedModesFile, writeWidenedModes } from "./internal/runs.js"
import { removeFile, removeTree } from "./internal/removeTree.js"
import { RootfsBuilder } from "./internal/unpack.js"

/**
 * The krunbox cache root (`KRUNBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/krunbox`, else
 * `~/.cache/krunbox`), shared with the native runtime cache; the store lives in its `images/`.
 *
 * @since 0.1.0
 * @category paths
 */
export { defaultCacheDir }

/**
 * A layer as recorded in the store.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerInfo {
  readonly digest: string
  readonly size: number
  readonly mediaType: string
}

/**
 * A pulled image.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageInfo {
  /** canonical reference it was pulled as, e.g. `docker.io/library/alpine:latest` */
  readonly reference: string
  readonly registry: string
  readonly repository: string
  readonly tag: string | undefined
  /** digest of the platform manifest */
  readonly manifestDigest: string
  /** digest of the index the tag pointed at, when it was a multi-platform index */
  readonly indexDigest: string | undefined
  readonly configDigest: string
  /** `os/arch[/variant]` */
  readonly platform: string
  readonly layers: ReadonlyArray<LayerInfo>
  /** sum of the compressed layer sizes */
  readonly size: number
  /** the image's creation time from its config, if any */
  readonly created: string | undefined
  readonly pulledAt: string
}

/**
 * Progress of a pull.
 *
 * @since 0.1.0
 * @category models
 */
export type PullEvent =
  | { readonly type: "resolving"; readonly reference: string }
  | {
      readonly type: "resolved"
      readonly reference: string
      readonly manifestDigest: string
      readonly platform: string
      readonly layers: ReadonlyArray<LayerInfo>
      readonly totalBytes: number
    }
  | {
      readonly type: "layer"
      readonly digest: string
      readonly status: "waiting" | "cached" | "downloading" | "resuming" | "done"
      readonly receivedBytes: number
      readonly totalBytes: number
    }
  | { readonly type: "unpacking"; readonly digest: string; readonly index: number; readonly count: number }
  | { readonly type: "unpacked"; readonly manifestDigest: string; readonly milliseconds: number }
  | { readonly type: "done"; readonly image: ImageInfo; readonly milliseconds: number }

/**
 * Options of {@link ImageStore.pull}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PullOptions {
  readonly onProgress?: ((event: PullEvent) => void) | undefined
  /** plain HTTP for a non-loopback registry (loopback registries always use plain HTTP) */
  readonly insecure?: boolean | undefined
  /** `os/arch[/variant]`; default: this host's platform */
  readonly platform?: string | undefined
  /** parallel layer downloads; default 3 */
  readonly concurrency?: number | undefined
  /** extra attempts per layer after an interrupted transfer (each resumes); default 3 */
  readonly retries?: number | undefined
  /**
   * A blob download that receives no byte for this long (waiting for the response included) is
   * interrupted and resumed like a broken transfer, while `retries` last; default 30 000 ms
   */
  readonly idleTimeoutMs?: number | undefined
  /** unpack the layers into the image's base right away; default true */
  readonly unpack?: boolean | undefined
  readonly signal?: AbortSignal | undefined
}

/**
 * Options of {@link ImageStore.prepareRootfs}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PrepareOptions extends PullOptions {
  /** `missing` (default) pulls when the reference is not in the store; `never` fails instead */
  readonly pull?: "missing" | "never" | "always" | undefined
  /**
   * How the per-run copy is made: `overlay` (an overlayfs mount over the base; root only),
   * `copy` (`cp -a --reflink=auto`) or `auto` (overlay when possible, else copy). Default `auto`.
   */
  readonly strategy?: "auto" | RootfsStrategy | undefined
}

/**
 * A root file system for one run. Writes go to this run's own copy or overlay upper layer;
 * the cached image is never modified. Call `dispose()` (or use `await using`) when the run ends.
 *
 * @since 0.1.0
 * @category models
 */
export interface PreparedRootfs extends AsyncDisposable {
  readonly rootfsDir: string
  readonly image: ImageInfo
  readonly config: ImageRunConfig
  readonly strategy: RootfsStrategy
  dispose(): Promise<void>
}

/**
 * Result of {@link ImageStore.remove}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RemoveResult {
  readonly reference: string
  readonly deletedBlobs: number
  readonly freedBytes: number
}

/**
 * Result of {@link ImageStore.prune}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PruneResult {
  /** run directories whose owner was dead */
  readonly staleRuns: number
  /** unpacked bases no image and no live run used */
  readonly removedBases: number
  /** partial downloads no live pull was working on */
  readonly removedDownloads: number
  /** unpack directories of pulls or runs that were killed while unpacking */
  readonly removedUnpackDirs: number
  /** blobs no image and no live pull used */
  readonly deletedBlobs: number
  /** everything removed, on disk */
  readonly freedBytes: number
}

/**
 * What the store takes on disk, from {@link ImageStore.usage}.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreUsage {
  /** the store's folder */
  readonly root: string
  readonly images: ReadonlyArray<{
    readonly reference: string
    readonly manifestDigest: string
    readonly platform: string
    readonly pulledAt: string
    /** its manifest, index, config and layers as stored (compressed; shared blobs counted for each image) */
    readonly blobBytes: number
    /** its unpacked base, when unpacked */
    readonly unpackedBytes: number | undefined
    readonly liveRuns: number
  }>
  /** every unpacked base; one without references and live runs is what `rmi` left to prune */
  readonly bases: ReadonlyArray<{
    readonly manifestDigest: string
    readonly references: ReadonlyArray<string>
    readonly liveRuns: number
    readonly bytes: number
  }>
  readonly runs: ReadonlyArray<{
    readonly id: string
    readonly manifestDigest: string | undefined
    readonly strategy: RootfsStrategy | undefined
    readonly pid: number | undefined
    readonly createdAt: string | undefined
    /** false: its owner is dead, prune removes it */
    readonly live: boolean
    readonly bytes: number
  }>
  readonly blobs: { readonly count: number; readonly bytes: number; readonly unusedCount: number; readonly unusedBytes: number }
  /** partial downloads; `active` while a live pull holds their lock */
  readonly downloads: ReadonlyArray<{ readonly digest: string; readonly bytes: number; readonly active: boolean }>
  /** bases being unpacked, or left by a killed unpack */
  readonly unpackDirs: ReadonlyArray<{ readonly name: string; readonly bytes: number; readonly active: boolean }>
  readonly totalBytes: number
  /** what {@link ImageStore.prune} would free now */
  readonly reclaimableBytes: number
}

/**
 * Options of {@link ImageStore.open}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageStoreOptions {
  /**
   * krunbox cache root; the store lives in `<cacheDir>/images`. Default: `$KRUNBOX_IMAGE_STORE`
   * (the store's own folder, e.g. for hermetic tests), else `<defaultCacheDir()>/images`
   */
  readonly cacheDir?: string | undefined
  /** Docker client config with registry credentials; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` */
  readonly dockerConfigPath?: string | undefined
}

interface ImageRecord extends ImageInfo {
  readonly schema: 1
}

interface ManifestJson {
  readonly mediaType?: string
  readonly schemaVersion?: number
  readonly config?: Descriptor
  readonly layers?: ReadonlyArray<Descriptor>
  readonly manifests?: ReadonlyArray<Descriptor & { readonly platform?: Platform }>
}

const isIndex = (mediaType: string) => mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerList

const validDescriptor = (d: unknown): d is Descriptor =>
  typeof d === "object" &&
  d !== null &&
  typeof (d as Descriptor).digest === "string" &&
  /^sha256:[a-f0-9]{64}$/.test((d as Descriptor).digest) &&
  Number.isSafeInteger((d as Descriptor).size) &&
  (d as Descriptor).size >= 0

/** JSON from the registry; anything that is not a JSON object breaks the protocol. */
const parseJson = <A>(bytes: Buffer, registry: string, url: string): A => {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString("utf8"))
  } catch (error) {
    throw new RegistryProtocolError({ registry, url, detail: `not JSON: ${(error as Error).message}` })
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RegistryProtocolError({ registry, url, detail: "not a JSON object" })
  }
  return value as A
}

const defaultIdleTimeoutMs = 30_000

const recordKey = (reference: string) => createHash("sha256").update(reference).digest("hex")

const hexOf = (digest: string) => digest.slice("sha256:".length)

const gzipMagic = Buffer.from([0x1f, 0x8b])
const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])

/** Opens a layer blob as an uncompressed tar stream, telling the compression by its magic bytes. */
const openLayer = (file: string): Readable => {
  const head = Buffer.alloc(4)
  const fd = fs.openSync(file, "r")
  try {
    fs.readSync(fd, head, 0, 4, 0)
  } finally {
    fs.closeSync(fd)
  }
  const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024 })
  const done = () => undefined
  if (head.subarray(0, 2).equals(gzipMagic)) return pipeline(raw, zlib.createGunzip({ chunkSize: 256 * 1024 }), done)
  if (head.equals(zstdMagic)) return pipeline(raw, zlib.createZstdDecompress({ chunkSize: 256 * 1024 }), done)
  return raw
}

async function* hashing(source: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure wins after all settle. */
const forEachLimited = async <A>(items: ReadonlyArray<A>, limit: number, task: (item: A) => Promise<void>) => {
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!
      try {
        await task(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  if (failure !== undefined) throw failure.error
}

/**
 * The local image store.
 *
 * @example
 * ```ts
 * const store = ImageStore.open()
 * await store.pull("localhost:5000/busybox:latest", { onProgress: console.log })
 * await using run = await store.prepareRootfs("localhost:5000/busybox:latest")
 * // run.rootfsDir is a private root file system; run.config has Env, WorkingDir, Entrypoint, Cmd, User
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export class ImageStore {
  /** `<cacheDir>/images` */
  readonly root: string
  private readonly blobs: BlobStore
  private readonly refsDir: string
  private readonly basesDir: string
  private readonly tmpDir: string
  private readonly pullsDir: string
  private readonly runs: RunDirectories
  private readonly dockerConfigPath: string
  private overlayWorks: boolean | undefined

  private constructor(options: ImageStoreOptions) {
    this.root = options.cacheDir !== undefined
      ? path.join(options.cacheDir, "images")
      : process.env["KRUNBOX_IMAGE_STORE"] || path.join(defaultCacheDir(), "images")
    this.blobs = new BlobStore(this.root)
    this.refsDir = path.join(this.root, "refs")
    this.basesDir = path.join(this.root, "rootfs")
    this.tmpDir = path.join(this.root, "tmp")
    this.pullsDir = path.join(this.root, "pulls")
    this.runs = new RunDirectories(path.join(this.root, "runs"))
    this.dockerConfigPath = options.dockerConfigPath ?? defaultDockerConfigPath()
  }

  /**
   * Opens (lazily creates) the store.
   *
   * @since 0.1.0
   * @category constructors
   */
  static open(options: ImageStoreOptions = {}): ImageStore {
    return new ImageStore(options)
  }

  /**
   * The store's folder is private (0700, as containerd's root is): unpacked bases and run
   * copies hold the image's setuid-root programs and its private files, which no other user of
   * this host may reach. A store made before with wider permissions is narrowed when it is ours.
   */
  private ensureRoot(): void {
    try {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 })
      const stat = fs.statSync(this.root)
      if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(this.root, 0o700)
    } catch (error) {
      throw fromFsError(error, this.root, "creating")
    }
  }

  private ensureDirs(): void {
    this.ensureRoot()
    this.blobs.ensureDirs()
    for (const dir of [this.refsDir, this.basesDir, this.tmpDir]) {
      try {
        fs.mkdirSync(dir, { recursive: true })
      } catch (error) {
        throw fromFsError(error, dir, "creating")
      }
    }
  }

  private readRecords(): Array<ImageRecord> {
    let names: Array<string>
    try {
      names = fs.readdirSync(this.refsDir).filter((name) => name.endsWith(".json"))
    } catch {
      return []
    }
    const records: Array<ImageRecord> = []
    for (const name of names) {
      try {
        const record = JSON.parse(fs.readFileSync(path.join(this.refsDir, name), "utf8")) as ImageRecord
        if (record.schema === 1) records.push(record)
      } catch {
        // a record being replaced right now, or garbage: not an image
      }
    }
    return records.sort((a, b) => a.reference.localeCompare(b.reference))
  }

  private writeRecord(record: ImageRecord): void {
    const file = path.join(this.refsDir, `${recordKey(record.reference)}.json`)
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`
    try {
      fs.writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`)
      fs.renameSync(temp, file)
    } catch (error) {
      fs.rmSync(temp, { force: true })
      throw fromFsError(error, file, "writing")
    }
  }

  private readConfig(image: ImageInfo): unknown {
    return parseJson(this.blobs.read(image.configDigest), image.registry, `${image.repository} config ${image.configDigest}`)
  }

  /**
   * The pulled image a reference names: by the exact reference first, then by digest (a
   * `repo@sha256:...` matches a tag pulled earlier whose manifest or index has that digest).
   *
   * @throws InvalidReference
   * @since 0.1.0
   * @category queries
   */
  find(reference: string): ImageInfo | undefined {
    const ref = Reference.parse(reference)
    const canonical = Reference.format(ref)
    try {
      const record = JSON.parse(fs.readFileSync(path.join(this.refsDir, `${recordKey(canonical)}.json`), "utf8")) as ImageRecord
      if (record.schema === 1) return record
    } catch {
      // not pulled under this exact name
    }
    if (ref.digest === undefined) return undefined
    return this.readRecords().find(
      (record) =>
        record.registry === ref.registry &&
        record.repository === ref.repository &&
        (record.manifestDigest === ref.digest || record.indexDigest === ref.digest)
    )
  }

  /**
   * Every pulled image, sorted by reference.
   *
   * @since 0.1.0
   * @category queries
   */
  list(): ReadonlyArray<ImageInfo> {
    return this.readRecords()
  }

  /**
   * The run configuration (Env, WorkingDir, Entrypoint, Cmd, User) of a pulled image.
   *
   * @throws ImageNotPulled, InvalidReference
   * @since 0.1.0
   * @category queries
   */
  config(reference: string): ImageRunConfig {
    const image = this.find(reference)
    if (image === undefined) throw new ImageNotPulled({ reference })
    return ImageConfig.fromImageConfig(this.readConfig(image))
  }

  /**
   * Pulls an image: resolves the reference (choosing this host's platform from a
   * multi-platform index), downloads the config and layers in parallel into the blob cache
   * (verifying every digest, resuming interrupted transfers), records it and unpacks it.
   *
   * @throws InvalidReference, ImageNotFound, AuthFailed, RegistryUnreachable,
   *   RegistryProtocolError, DigestMismatch, TruncatedDownload, NoMatchingPlatform, DiskFull,
   *   UnsafeArchiveEntry, CorruptLayer, ImageStoreIoError
   * @since 0.1.0
   * @category pulling
   */
  async pull(reference: string, options: PullOptions = {}): Promise<ImageInfo> {
    const started = performance.now()
    const ref = Reference.parse(reference)
    const emit = options.onProgress ?? (() => undefined)
    const canonical = Reference.format(ref)
    this.ensureDirs()
    // names the blobs being fetched until the image is recorded, for prune and remove elsewhere
    const marker = PullMarker.start(this.pullsDir)
    try {
      return await this.pullMarked(ref, canonical, options, emit, marker, started)
    } finally {
      marker.end()
    }
  }

  private async pullMarked(
    ref: Reference.ImageReference,
    canonical: string,
    options: PullOptions,
    emit: (event: PullEvent) => void,
    marker: PullMarker,
    started: number
  ): Promise<ImageInfo> {
    emit({ type: "resolving", reference: canonical })

    const client = new RegistryClient(ref, {
      insecure: options.insecure ?? false,
      credentials: lookupCredentials(ref.registry, this.dockerConfigPath)
    })
    const wanted = options.platform !== undefined ? PlatformModule.parse(options.platform) : PlatformModule.host()
    if (wanted === undefined) {
      throw new NoMatchingPlatform({ reference: canonical, wanted: options.platform ?? "", available: [] })
    }
    const wantedText = PlatformModule.format(wanted)

    const top = await client.getManifest(ref.digest ?? ref.tag ?? "latest")
    marker.add(top.digest)
    this.blobs.writeVerified(top.digest, top.bytes, `${client.baseUrl}/manifests`)
    let manifest = top
    let indexDigest: string | undefined
    let chosenPlatform: Platform | undefined
    if (isIndex(top.mediaType)) {
      indexDigest = top.digest
      const index = parseJson<ManifestJson>(top.bytes, ref.registry, `${client.baseUrl}/manifests/${top.digest}`)
      const candidates = (index.manifests ?? []).filter((m) => validDescriptor(m))
      const withPlatform = candidates.filter((m) => m.platform !== undefined)
      const chosen = withPlatform.find((m) => PlatformModule.matches(wanted, m.platform!))
      if (chosen === undefined) {
        throw new NoMatchingPlatform({
          reference: canonical,
          wanted: wantedText,
          available: withPlatform
            .map((m) => PlatformModule.format(m.platform!))
            .filter((p) => p !== "unknown/unknown")
        })
      }
      chosenPlatform = chosen.platform
      manifest = await client.getManifest(chosen.digest)
      marker.add(manifest.digest)
      if (manifest.digest !== chosen.digest) {
        throw new DigestMismatch({ expected: chosen.digest, actual: manifest.digest, what: "manifest", source: client.baseUrl })
      }
      this.blobs.writeVerified(manifest.digest, manifest.bytes, `${client.baseUrl}/manifests`)
      if (isIndex(manifest.mediaType)) {
        throw new RegistryProtocolError({ registry: ref.registry, url: client.baseUrl, detail: "nested image indexes are not supported" })
      }
    }
    if (manifest.mediaType !== mediaTypes.ociManifest && manifest.mediaType !== mediaTypes.dockerManifest) {
      throw new RegistryProtocolError({
        registry: ref.registry,
        url: `${client.baseUrl}/manifests/${manifest.digest}`,
        detail: `unsupported manifest media type ${manifest.mediaType}${
          manifest.mediaType === mediaTypes.dockerSchema1 || manifest.mediaType === mediaTypes.dockerSchema1Signed
            ? " (Docker schema 1 is obsolete)"
            : ""
        }`
      })
    }
    const parsed = parseJson<ManifestJson>(manifest.bytes, ref.registry, `${client.baseUrl}/manifests/${manifest.digest}`)
    if (!validDescriptor(parsed.config) || !Array.isArray(parsed.layers) || !parsed.layers.every(validDescriptor)) {
      throw new RegistryProtocolError({ registry: ref.registry, url: `${client.baseUrl}/manifests/${manifest.digest}`, detail: "manifest lacks a valid config or layers" })
    }
    const layers: ReadonlyArray<LayerInfo> = parsed.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }))
    const totalBytes = layers.reduce((sum, l) => sum + l.size, 0)

    marker.add(parsed.config.digest, ...parsed.layers.map((l) => l.digest))
    if (parsed.config.size > limits.configBytes) {
      // refused from the manifest's word, before a byte is downloaded: the download itself never
      // accepts more than the announced size, so nothing larger can reach blobs/
      throw new MetadataTooLarge({
        what: "image config",
        url: `${client.baseUrl}/blobs/${parsed.config.digest}`,
        limitBytes: limits.configBytes,
        announcedBytes: parsed.config.size
      })
    }
    const idleTimeoutMs =
      options.idleTimeoutMs !== undefined && options.idleTimeoutMs > 0
        ? Math.min(options.idleTimeoutMs, 2 ** 31 - 1) // Node fires longer timers at once
        : defaultIdleTimeoutMs
    await this.blobs.fetch(client, parsed.config, { retries: options.retries ?? 3, signal: options.signal, idleTimeoutMs })
    const imageConfig = parseJson<{
      os?: string
      architecture?: string
      variant?: string
      created?: string
      rootfs?: { diff_ids?: Array<string> }
    }>(this.blobs.read(parsed.config.digest), ref.registry, `${client.baseUrl}/blobs/${parsed.config.digest}`)
    const platform: Platform = chosenPlatform ?? {
      os: imageConfig.os ?? "linux",
      architecture: imageConfig.architecture ?? "unknown",
      variant: imageConfig.variant
    }
    if (indexDigest === undefined && options.platform !== undefined && !PlatformModule.matches(wanted, platform)) {
      throw new NoMatchingPlatform({ reference: canonical, wanted: wantedText, available: [PlatformModule.format(platform)] })
    }
    emit({ type: "resolved", reference: canonical, manifestDigest: manifest.digest, platform: PlatformModule.format(platform), layers, totalBytes })

    for (const layer of layers) emit({ type: "layer", digest: layer.digest, status: "waiting", receivedBytes: 0, totalBytes: layer.size })
    await forEachLimited(layers, options.concurrency ?? 3, async (layer) => {
      let lastEmit = 0
      await this.blobs.fetch(client, layer, {
        retries: options.retries ?? 3,
        signal: options.signal,
        idleTimeoutMs,
        onProgress: (status, receivedBytes) => {
          const now = performance.now()
          if (status === "downloading" && now - lastEmit < 100) return
          lastEmit = now
          emit({ type: "layer", digest: layer.digest, status, receivedBytes, totalBytes: layer.size })
        }
      })
    })

    const record: ImageRecord = {
      schema: 1,
      reference: canonical,
      registry: ref.registry,
      repository: ref.repository,
      tag: ref.tag,
      manifestDigest: manifest.digest,
      indexDigest,
      configDigest: parsed.config.digest,
      platform: PlatformModule.format(platform),
      layers,
      size: totalBytes,
      created: typeof imageConfig.created === "string" ? imageConfig.created : undefined,
      pulledAt: new Date().toISOString()
    }
    const previous = this.find(canonical)
    if (options.unpack ?? true) {
      // recorded under the base's lock, so no prune sees the new base unreferenced
      await withFileLock(this.baseLock(record.manifestDigest), async () => {
        await this.unpackLocked(record, emit)
        this.writeRecord(record)
      })
    } else {
      this.writeRecord(record)
    }
    if (previous !== undefined && previous.manifestDigest !== record.manifestDigest) {
      // the tag moved: what only the old image used is garbage now
      await this.collectGarbage(new Set(this.ownedDigests(previous)))
    }
    const milliseconds = performance.now() - started
    emit({ type: "done", image: record, milliseconds })
    return record
  }

  private baseLock(manifestDigest: string): string {
    return path.join(this.basesDir, `${hexOf(manifestDigest)}.lock`)
  }

  /** The unpacked base of an image, unpacking it when missing; call with the base's lock held. */
  private async unpackLocked(image: ImageInfo, emit: (event: PullEvent) => void): Promise<string> {
    const baseDir = path.join(this.basesDir, hexOf(image.manifestDigest))
    if (fs.existsSync(baseDir)) return baseDir
    this.ensureDirs()
    {
      const started = performance.now()
      const config = this.readConfig(image) as { rootfs?: { diff_ids?: unknown } }
      const diffIds = Array.isArray(config.rootfs?.diff_ids) ? (config.rootfs.diff_ids as Array<unknown>) : []
      if (diffIds.length !== image.layers.length) {
        throw new CorruptLayer({
          layer: image.configDigest,
          detail: `the config lists ${diffIds.length} diff_ids for ${image.layers.length} layers`
        })
      }
      let temp: string
      try {
        // named after the base, whose lock the unpacking process holds: prune tells a live one by it
        temp = fs.mkdtempSync(path.join(this.tmpDir, `${hexOf(image.manifestDigest)}-`))
        fs.chmodSync(temp, 0o755)
      } catch (error) {
        throw fromFsError(error, this.tmpDir, "creating a directory in")
      }
      try {
        const builder = new RootfsBuilder(temp, { preserveOwnership: isRoot(), keepReadable: !isRoot() })
        for (const [index, layer] of image.layers.entries()) {
          emit({ type: "unpacking", digest: layer.digest, index, count: image.layers.length })
          const blobPath = this.blobs.path(layer.digest)
          if (!fs.existsSync(blobPath)) throw new ImageNotPulled({ reference: image.reference })
          const hash = createHash("sha256")
          await builder.applyLayer(hashing(openLayer(blobPath) as AsyncIterable<Buffer>, hash), layer.digest)
          const diffId = `sha256:${hash.digest("hex")}`
          if (diffId !== diffIds[index]) {
            throw new DigestMismatch({ expected: String(diffIds[index]), actual: diffId, what: "diff_id (uncompressed layer)", source: layer.digest })
          }
        }
        builder.finish()
        try {
          // the record of widened modes goes first: a base is never there without it
          writeWidenedModes(baseDir, builder.widenedModesDeepestFirst())
          fs.renameSync(temp, baseDir)
        } catch (error) {
          throw fromFsError(error, baseDir, "moving the unpacked image to")
        }
      } catch (error) {
        await removeTree(temp).catch(() => undefined)
        fs.rmSync(widenedModesFile(baseDir), { force: true })
        throw error
      }
      emit({ type: "unpacked", manifestDigest: image.manifestDigest, milliseconds: performance.now() - started })
      return baseDir
    }
  }

  /**
   * Makes a private root file system for one run of an image (pulling it first when allowed
   * and missing). The cached blobs and the unpacked base are never written to.
   *
   * @throws every {@link ImageStore.pull} error, ImageNotPulled, RootfsPreparationFailed
   * @since 0.1.0
   * @category running
   */
  async prepareRootfs(reference: string, options: PrepareOptions = {}): Promise<PreparedRootfs> {
    const policy = options.pull ?? "missing"
    let image = policy === "always" ? undefined : this.find(reference)
    if (image === undefined) {
      if (policy === "never") throw new ImageNotPulled({ reference })
      image = await this.pull(reference, options)
    }
    const noEvents = () => undefined
    const found = image
    this.ensureDirs()
    const config = ImageConfig.fromImageConfig(this.readConfig(image))
    await this.runs.cleanStale()

    const requested = options.strategy ?? "auto"
    let strategy: RootfsStrategy = requested === "auto" ? (this.overlayWorks !== false && overlaySupported() ? "overlay" : "copy") : requested
    // the run is reserved under the base's lock: from then on no prune or remove deletes the base
    const { baseDir, dir } = await withFileLock(this.baseLock(image.manifestDigest), async () => ({
      baseDir: await this.unpackLocked(found, options.onProgress ?? noEvents),
      dir: this.runs.reserve(found.manifestDigest, strategy)
    }))
    let prepared
    try {
      try {
        prepared = await this.runs.populate(dir, baseDir, image.manifestDigest, strategy)
        if (strategy === "overlay") this.overlayWorks = true
      } catch (error) {
        if (requested !== "auto" || strategy !== "overlay") throw error
        // overlay looked possible but the mount failed (e.g. inside a restricted container)
        this.overlayWorks = false
        strategy = "copy"
        prepared = await this.runs.populate(dir, baseDir, image.manifestDigest, strategy)
      }
    } catch (error) {
      await this.runs.destroy(dir)
      throw error
    }
    let disposed = false
    const dispose = async () => {
      if (disposed) return
      disposed = true
      await this.runs.destroy(prepared.dir)
    }
    return {
      rootfsDir: prepared.rootfsDir,
      image,
      config,
      strategy: prepared.strategy,
      dispose,
      [Symbol.asyncDispose]: dispose
    }
  }

  /**
   * Forgets a pulled reference and deletes the blobs and unpacked base that no other pulled
   * reference uses (a base still used by a live run is kept until {@link ImageStore.prune}).
   *
   * @throws ImageNotPulled, InvalidReference
   * @since 0.1.0
   * @category removing
   */
  async remove(reference: string): Promise<RemoveResult> {
    const image = this.find(reference)
    if (image === undefined) throw new ImageNotPulled({ reference })
    fs.rmSync(path.join(this.refsDir, `${recordKey(image.reference)}.json`), { force: true })
    const { deletedBlobs, freedBytes } = await this.collectGarbage(new Set(this.ownedDigests(image)))
    return { reference: image.reference, deletedBlobs, freedBytes }
  }

  private ownedDigests(image: ImageInfo): Array<string> {
    return [
      image.manifestDigest,
      ...(image.indexDigest !== undefined ? [image.indexDigest] : []),
      image.configDigest,
      ...image.layers.map((l) => l.digest)
    ]
  }

  private listDir(dir: string): Array<string> {
    try {
      return fs.readdirSync(dir)
    } catch {
      return []
    }
  }

  /**
   * Deletes candidate blobs and bases that nothing uses: no record, no live pull (its marker),
   * no live run. A base is deleted only while holding its lock, so never while it is being
   * unpacked, recorded or reserved for a run.
   */
  private async collectGarbage(
    candidates: ReadonlySet<string> | "all"
  ): Promise<{ deletedBlobs: number; freedBytes: number; removedBases: number; freedBaseBytes: number }> {
    const records = this.readRecords()
    const used = new Set([...records.flatMap((r) => this.ownedDigests(r)), ...readPullMarkers(this.pullsDir).live])
    const recordedBases = new Set(records.map((r) => hexOf(r.manifestDigest)))
    let deletedBlobs = 0
    let freedBytes = 0
    const blobCandidates =
      candidates === "all" ? this.listDir(this.blobs.blobsDir).map((hex) => `sha256:${hex}`) : [...candidates]
    for (const digest of blobCandidates) {
      if (used.has(digest) || !/^sha256:[a-f0-9]{64}$/.test(digest)) continue
      const freed = this.blobs.remove(digest)
      if (freed > 0 || candidates === "all") deletedBlobs++
      freedBytes += freed
    }
    const baseCandidates =
      candidates === "all" ? this.listDir(this.basesDir).filter((name) => /^[a-f0-9]{64}$/.test(name)) : [...candidates].map(hexOf)
    let removedBases = 0
    let freedBaseBytes = 0
    for (const hex of baseCandidates) {
      const baseDir = path.join(this.basesDir, hex)
      if (recordedBases.has(hex) || !fs.existsSync(baseDir)) continue
      const unlock = tryFileLock(`${baseDir}.lock`)
      if (unlock === undefined) continue // being unpacked, recorded or reserved right now
      try {
        if (this.runs.liveBases().has(`sha256:${hex}`)) continue
        freedBaseBytes += diskUsage(baseDir)
        await removeTree(baseDir)
        fs.rmSync(widenedModesFile(baseDir), { force: true })
        removedBases++
      } finally {
        unlock()
      }
    }
    return { deletedBlobs, freedBytes, removedBases, freedBaseBytes }
  }

  /**
   * Removes everything nothing uses: run directories whose owner is dead (a process that was
   * SIGKILLed; decided by pid, start time, boot id and PID namespace, not by `kill(pid, 0)`),
   * partial downloads and unpack directories no live pull is working on (of killed or
   * interrupted pulls: the next pull downloads those layers again), unpacked bases and blobs no
   * pulled image uses (also a base `remove` kept for a run that has ended since), and the locks
   * and markers dead processes left.
   *
   * @since 0.1.0
   * @category removing
   */
  async prune(): Promise<PruneResult> {
    if (!fs.existsSync(this.root)) {
      return { staleRuns: 0, removedBases: 0, removedDownloads: 0, removedUnpackDirs: 0, deletedBlobs: 0, freedBytes: 0 }
    }
    let freed = 0
    const stale = this.runs.list().filter((run) => !this.runs.isLive(run))
    for (const run of stale) {
      freed += diskUsage(run.dir)
      await this.runs.destroy(run.dir)
    }

    // markers of dead pulls first: the blobs they named become garbage below
    for (const file of readPullMarkers(this.pullsDir).deadFiles) fs.rmSync(file, { force: true })

    let removedDownloads = 0
    for (const name of this.listDir(this.blobs.partialDir)) {
      const file = path.join(this.blobs.partialDir, name)
      if (name.endsWith(".lock")) {
        // a lock without its download: taking and dropping it removes it if its owner is dead
        if (!fs.existsSync(file.slice(0, -".lock".length))) tryFileLock(file)?.()
        continue
      }
      if (!/^sha256-[a-f0-9]{64}$/.test(name)) {
        // a manifest being written (renamed within milliseconds), or garbage of a crash
        if (this.olderThan(file, 10 * 60_000)) freed += removeFile(file)
        continue
      }
      const unlock = tryFileLock(`${file}.lock`)
      if (unlock === undefined) continue // a live pull is downloading it
      try {
        freed += removeFile(file)
        removedDownloads++
      } finally {
        unlock()
      }
    }

    let removedUnpackDirs = 0
    for (const name of this.listDir(this.tmpDir)) {
      const dir = path.join(this.tmpDir, name)
      const hex = /^([a-f0-9]{64})-/.exec(name)?.[1]
      // an unpack directory lives while its base's lock is held (the unpack runs under it)
      const unlock = hex !== undefined ? tryFileLock(path.join(this.basesDir, `${hex}.lock`)) : this.olderThan(dir, 60 * 60_000) ? () => undefined : undefined
      if (unlock === undefined) continue
      try {
        freed += diskUsage(dir)
        await removeTree(dir)
        removedUnpackDirs++
      } finally {
        unlock()
      }
    }
    for (const name of this.listDir(this.basesDir)) {
      if (name.endsWith(".lock")) tryFileLock(path.join(this.basesDir, name))?.()
    }

    const garbage = await this.collectGarbage("all")
    return {
      staleRuns: stale.length,
      removedBases: garbage.removedBases,
      removedDownloads,
      removedUnpackDirs,
      deletedBlobs: garbage.deletedBlobs,
      freedBytes: freed + garbage.freedBytes + garbage.freedBaseBytes
    }
  }

  private olderThan(file: string, ms: number): boolean {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > ms
    } catch {
      return false
    }
  }


  /**
   * What the store takes on disk and what {@link prune} would free: every pulled image, every
   * unpacked base (referenced or not), every run directory (live or stale), partial downloads
   * and unpack directories. Sizes are disk usage (allocated blocks, hardlinks once; an
   * overlay run counts its own upper layer, not the base it mounts).
   *
   * @since 0.1.0
   * @category queries
   */
  usage(): StoreUsage {
    const records = this.readRecords()
    const runs = this.runs.list().map((run) => ({
      id: path.basename(run.dir),
      manifestDigest: run.owner?.manifestDigest,
      strategy: run.owner?.strategy,
      pid: run.owner?.pid,
      createdAt: run.owner?.createdAt,
      live: this.runs.isLive(run),
      bytes: diskUsage(run.dir)
    }))
    const liveRunsOf = (digest: string) => runs.filter((run) => run.live && run.manifestDigest === digest).length
    const { live: pulling } = readPullMarkers(this.pullsDir)
    const usedBlobs = new Set([...records.flatMap((r) => this.ownedDigests(r)), ...pulling])
    const blobSize = (digest: string) => this.blobs.size(digest) ?? 0
    const bases = this.listDir(this.basesDir)
      .filter((name) => /^[a-f0-9]{64}$/.test(name))
      .map((hex) => {
        const manifestDigest = `sha256:${hex}`
        return {
          manifestDigest,
          references: records.filter((r) => r.manifestDigest === manifestDigest).map((r) => r.reference),
          liveRuns: liveRunsOf(manifestDigest),
          bytes: diskUsage(path.join(this.basesDir, hex))
        }
      })
    const images = records.map((record) => ({
      reference: record.reference,
      manifestDigest: record.manifestDigest,
      platform: record.platform,
      pulledAt: record.pulledAt,
      blobBytes: [...new Set(this.ownedDigests(record))].reduce((sum, digest) => sum + blobSize(digest), 0),
      unpackedBytes: bases.find((base) => base.manifestDigest === record.manifestDigest)?.bytes,
      liveRuns: liveRunsOf(record.manifestDigest)
    }))
    const blobDigests = this.listDir(this.blobs.blobsDir).map((hex) => `sha256:${hex}`)
    const unusedBlobs = blobDigests.filter((digest) => !usedBlobs.has(digest))
    const downloads = this.listDir(this.blobs.partialDir)
      .filter((name) => /^sha256-[a-f0-9]{64}$/.test(name))
      .map((name) => {
        const file = path.join(this.blobs.partialDir, name)
        return { digest: `sha256:${name.slice("sha256-".length)}`, bytes: this.fileSize(file), active: lockHeld(`${file}.lock`) }
      })
    const unpackDirs = this.listDir(this.tmpDir).map((name) => {
      const hex = /^([a-f0-9]{64})-/.exec(name)?.[1]
      return { name, bytes: diskUsage(path.join(this.tmpDir, name)), active: hex !== undefined && lockHeld(path.join(this.basesDir, `${hex}.lock`)) }
    })
    const sum = <A>(items: ReadonlyArray<A>, bytes: (a: A) => number) => items.reduce((total, item) => total + bytes(item), 0)
    const blobs = { count: blobDigests.length, bytes: sum(blobDigests, blobSize), unusedCount: unusedBlobs.length, unusedBytes: sum(unusedBlobs, blobSize) }
    const unusedBases = bases.filter((base) => base.references.length === 0 && base.liveRuns === 0)
    const staleRuns = runs.filter((run) => !run.live)
    const idleDownloads = downloads.filter((d) => !d.active)
    const idleUnpackDirs = unpackDirs.filter((d) => !d.active)
    return {
      root: this.root,
      images,
      bases,
      runs,
      blobs,
      downloads,
      unpackDirs,
      totalBytes: blobs.bytes + sum(bases, (b) => b.bytes) + sum(runs, (r) => r.bytes) + sum(downloads, (d) => d.bytes) + sum(unpackDirs, (d) => d.bytes),
      reclaimableBytes:
        blobs.unusedBytes + sum(unusedBases, (b) => b.bytes) + sum(staleRuns, (r) => r.bytes) + sum(idleDownloads, (d) => d.bytes) + sum(idleUnpackDirs, (d) => d.bytes)
    }
  }

  private fileSize(file: string): number {
    try {
      return fs.statSync(file).size
    } catch {
      return 0
    }
  }

}

/**
 * {@link ImageStore.prune} of the default store (or the one `options` names): what `krunbox
 * prune` does.
 *
 * @since 0.1.0
 * @category removing
 */
export const prune = (options: ImageStoreOptions = {}): Promise<PruneResult> => ImageStore.open(options).prune()

/**
 * {@link ImageStore.usage} of the default store (or the one `options` names): what `krunbox
 * system df` shows.
 *
 * @since 0.1.0
 * @category queries
 */
export const usage = (options: ImageStoreOptions = {}): StoreUsage => ImageStore.open(options).usage()
