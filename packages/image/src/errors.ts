/**
 * Typed failures of image references, registries, the blob cache and layer unpacking.
 *
 * Every error carries the offending value, a `message` that says what happened and a `hint`
 * that says how to fix it.
 *
 * @since 0.1.0
 */
import { KrunboxError, TaggedError } from "@krunbox/core"

/**
 * The reference string is not a valid image reference.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidReference extends KrunboxError {
  readonly _tag = "InvalidReference" as const
  readonly reference: string
  readonly reason: string
  constructor(props: {
    readonly reference: string
    readonly reason: string
  }) {
    super(`invalid image reference ${JSON.stringify(props.reference)}: ${props.reason}`)
    this.reference = props.reference
    this.reason = props.reason
  }
  get hint(): string {
    return "write it as [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. alpine:3.20 or localhost:5000/busybox:latest"
  }
  static override isInstance(u: unknown): u is InvalidReference {
    return KrunboxError.isInstance(u) && u._tag === "InvalidReference"
  }
}

/**
 * The registry answered that the repository, tag or digest does not exist (or is not visible
 * to these credentials).
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageNotFound extends KrunboxError {
  readonly _tag = "ImageNotFound" as const
  readonly reference: string
  readonly registry: string
  readonly detail: string
  constructor(props: {
    readonly reference: string
    readonly registry: string
    readonly detail: string
  }) {
    super(`image ${props.reference} not found on ${props.registry}: ${props.detail}`)
    this.reference = props.reference
    this.registry = props.registry
    this.detail = props.detail
  }
  get hint(): string {
    return `check the repository name and tag (list local images with \`krunbox images\`); private repositories also answer "not found" without credentials`
  }
  static override isInstance(u: unknown): u is ImageNotFound {
    return KrunboxError.isInstance(u) && u._tag === "ImageNotFound"
  }
}

/**
 * The registry rejected the credentials, or wants credentials and none were found.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthFailed extends KrunboxError {
  readonly _tag = "AuthFailed" as const
  readonly registry: string
  readonly reference: string
  readonly status: number
  /** where the credentials came from, or undefined when none were sent */
  readonly credentialSource: string | undefined
  readonly detail: string
  constructor(props: {
    readonly registry: string
    readonly reference: string
    readonly status: number
    readonly credentialSource: string | undefined
    readonly detail: string
  }) {
    super(`authentication to ${props.registry} for ${props.reference} failed (HTTP ${props.status}): ${props.detail}`)
    this.registry = props.registry
    this.reference = props.reference
    this.status = props.status
    this.credentialSource = props.credentialSource
    this.detail = props.detail
  }
  get hint(): string {
    return this.credentialSource === undefined
      ? `the registry requires a login: add "${this.registry}": { "auth": base64("user:password") } under "auths" in ~/.docker/config.json (or run \`docker login ${this.registry}\`)`
      : `the credentials from ${this.credentialSource} were refused: update the "auth" entry for ${this.registry} there`
  }
  static override isInstance(u: unknown): u is AuthFailed {
    return KrunboxError.isInstance(u) && u._tag === "AuthFailed"
  }
}

/**
 * The registry could not be reached at all (DNS, refused connection, TLS, timeout).
 *
 * @since 0.1.0
 * @category errors
 */
export class RegistryUnreachable extends KrunboxError {
  readonly _tag = "RegistryUnreachable" as const
  readonly registry: string
  readonly url: string
  readonly detail: string
  constructor(props: {
    readonly registry: string
    readonly url: string
    readonly detail: string
  }) {
    super(`registry ${props.registry} is unreachable (${props.url}): ${props.detail}`)
    this.registry = props.registry
    this.url = props.url
    this.detail = props.detail
  }
  get hint(): string {
    return `check that ${this.registry} is up and reachable from this host; for a plain-HTTP registry that is not on localhost pass { insecure: true } (CLI: --insecure)`
  }
  static override isInstance(u: unknown): u is RegistryUnreachable {
    return KrunboxError.isInstance(u) && u._tag === "RegistryUnreachable"
  }
}

/**
 * The registry answered in a way that breaks the distribution protocol (unexpected status,
 * malformed manifest, unsupported media type).
 *
 * @since 0.1.0
 * @category errors
 */
export class RegistryProtocolError extends KrunboxError {
  readonly _tag = "RegistryProtocolError" as const
  readonly registry: string
  readonly url: string
  readonly detail: string
  constructor(props: {
    readonly registry: string
    readonly url: string
    readonly detail: string
  }) {
    super(`unexpected answer from ${props.registry} (${props.url}): ${props.detail}`)
    this.registry = props.registry
    this.url = props.url
    this.detail = props.detail
  }
  get hint(): string {
    return "the registry or the image is not OCI / Docker v2 (schema 2) compatible; re-push the image with a current tool (e.g. skopeo copy)"
  }
  static override isInstance(u: unknown): u is RegistryProtocolError {
    return KrunboxError.isInstance(u) && u._tag === "RegistryProtocolError"
  }
}

/**
 * A downloaded or cached blob does not hash to the digest that names it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DigestMismatch extends KrunboxError {
  readonly _tag = "DigestMismatch" as const
  readonly expected: string
  readonly actual: string
  /** what was being verified: "blob", "manifest", "diff_id" */
  readonly what: string
  readonly source: string
  constructor(props: {
    readonly expected: string
    readonly actual: string
    readonly what: string
    readonly source: string
  }) {
    super(`${props.what} from ${props.source} has digest ${props.actual}, expected ${props.expected}`)
    this.expected = props.expected
    this.actual = props.actual
    this.what = props.what
    this.source = props.source
  }
  get hint(): string {
    return "the content was corrupted in the registry or in transit and has been discarded; pull again, and if it repeats re-push the image to the registry"
  }
  static override isInstance(u: unknown): u is DigestMismatch {
    return KrunboxError.isInstance(u) && u._tag === "DigestMismatch"
  }
}

/**
 * A download ended before the announced number of bytes arrived, even after resuming.
 *
 * @since 0.1.0
 * @category errors
 */
export class TruncatedDownload extends KrunboxError {
  readonly _tag = "TruncatedDownload" as const
  readonly digest: string
  readonly expectedBytes: number
  readonly receivedBytes: number
  readonly detail: string
  constructor(props: {
    readonly digest: string
    readonly expectedBytes: number
    readonly receivedBytes: number
    readonly detail: string
  }) {
    super(`download of ${props.digest} stopped after ${props.receivedBytes} of ${props.expectedBytes} bytes: ${props.detail}`)
    this.digest = props.digest
    this.expectedBytes = props.expectedBytes
    this.receivedBytes = props.receivedBytes
    this.detail = props.detail
  }
  get hint(): string {
    return "the connection dropped; pull again: the bytes already received are kept and the download resumes where it stopped"
  }
  static override isInstance(u: unknown): u is TruncatedDownload {
    return KrunboxError.isInstance(u) && u._tag === "TruncatedDownload"
  }
}

/**
 * An image index has no manifest for the requested platform.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoMatchingPlatform extends KrunboxError {
  readonly _tag = "NoMatchingPlatform" as const
  readonly reference: string
  readonly wanted: string
  readonly available: ReadonlyArray<string>
  constructor(props: {
    readonly reference: string
    readonly wanted: string
    readonly available: ReadonlyArray<string>
  }) {
    super(`image ${props.reference} has no manifest for ${props.wanted} (available: ${props.available.join(", ") || "none"})`)
    this.reference = props.reference
    this.wanted = props.wanted
    this.available = props.available
  }
  get hint(): string {
    return !/^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/.test(this.wanted)
      ? "write the platform as os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"
      : this.available.length === 0
      ? "the index lists no platforms at all; re-push the image with platform annotations"
      : `pick one of the available platforms with { platform: "${this.available[0]}" } (CLI: --platform), knowing that a foreign architecture cannot run on this host`
  }
  static override isInstance(u: unknown): u is NoMatchingPlatform {
    return KrunboxError.isInstance(u) && u._tag === "NoMatchingPlatform"
  }
}

/**
 * The file system holding the image cache ran out of space.
 *
 * @since 0.1.0
 * @category errors
 */
export class DiskFull extends KrunboxError {
  readonly _tag = "DiskFull" as const
  readonly path: string
  readonly operation: string
  constructor(props: {
    readonly path: string
    readonly operation: string
  }) {
    super(`no space left on device while ${props.operation} ${props.path}`)
    this.path = props.path
    this.operation = props.operation
  }
  get hint(): string {
    return "free space on that file system (remove unused images with `krunbox rmi REF`) or point KRUNBOX_CACHE_DIR at a larger one"
  }
  static override isInstance(u: unknown): u is DiskFull {
    return KrunboxError.isInstance(u) && u._tag === "DiskFull"
  }
}

/**
 * A layer archive contains an entry that would land outside the root file system, or one that
 * cannot be represented safely.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsafeArchiveEntry extends KrunboxError {
  readonly _tag = "UnsafeArchiveEntry" as const
  readonly layer: string
  readonly entry: string
  readonly reason: string
  constructor(props: {
    readonly layer: string
    readonly entry: string
    readonly reason: string
  }) {
    super(`layer ${props.layer} entry ${JSON.stringify(props.entry)} rejected: ${props.reason}`)
    this.layer = props.layer
    this.entry = props.entry
    this.reason = props.reason
  }
  get hint(): string {
    return "the layer is malformed or malicious and was not unpacked; rebuild the image from a trusted source"
  }
  static override isInstance(u: unknown): u is UnsafeArchiveEntry {
    return KrunboxError.isInstance(u) && u._tag === "UnsafeArchiveEntry"
  }
}

/**
 * A layer is not a readable tar archive (bad header checksum, unexpected end, unknown
 * compression).
 *
 * @since 0.1.0
 * @category errors
 */
export class CorruptLayer extends KrunboxError {
  readonly _tag = "CorruptLayer" as const
  readonly layer: string
  readonly detail: string
  constructor(props: {
    readonly layer: string
    readonly detail: string
  }) {
    super(`layer ${props.layer} cannot be unpacked: ${props.detail}`)
    this.layer = props.layer
    this.detail = props.detail
  }
  get hint(): string {
    return "the cached layer is unusable; remove the image with `krunbox rmi REF` and pull it again"
  }
  static override isInstance(u: unknown): u is CorruptLayer {
    return KrunboxError.isInstance(u) && u._tag === "CorruptLayer"
  }
}

/**
 * The image is not in the local store and pulling was not allowed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageNotPulled extends KrunboxError {
  readonly _tag = "ImageNotPulled" as const
  readonly reference: string
  constructor(props: {
    readonly reference: string
  }) {
    super(`image ${props.reference} is not in the local store`)
    this.reference = props.reference
  }
  get hint(): string {
    return `pull it first with \`krunbox pull ${this.reference}\` (or allow pulling with { pull: "missing" })`
  }
  static override isInstance(u: unknown): u is ImageNotPulled {
    return KrunboxError.isInstance(u) && u._tag === "ImageNotPulled"
  }
}

/**
 * A file system operation on the image cache failed for a reason other than lack of space.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageStoreIoError extends KrunboxError {
  readonly _tag = "ImageStoreIoError" as const
  readonly path: string
  readonly operation: string
  readonly code: string
  readonly detail: string
  constructor(props: {
    readonly path: string
    readonly operation: string
    readonly code: string
    readonly detail: string
  }) {
    super(`${props.operation} ${props.path} failed (${props.code}): ${props.detail}`)
    this.path = props.path
    this.operation = props.operation
    this.code = props.code
    this.detail = props.detail
  }
  get hint(): string {
    return this.code === "EACCES" || this.code === "EPERM"
      ? "the cache directory is not writable by this user; fix its permissions or set KRUNBOX_CACHE_DIR"
      : "check the cache directory (KRUNBOX_CACHE_DIR or ~/.cache/krunbox) and its file system"
  }
  static override isInstance(u: unknown): u is ImageStoreIoError {
    return KrunboxError.isInstance(u) && u._tag === "ImageStoreIoError"
  }
}

/**
 * Preparing a per-run root file system (copy or overlay mount) failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class RootfsPreparationFailed extends KrunboxError {
  readonly _tag = "RootfsPreparationFailed" as const
  readonly strategy: string
  readonly path: string
  readonly detail: string
  constructor(props: {
    readonly strategy: string
    readonly path: string
    readonly detail: string
  }) {
    super(`preparing a ${props.strategy} rootfs at ${props.path} failed: ${props.detail}`)
    this.strategy = props.strategy
    this.path = props.path
    this.detail = props.detail
  }
  get hint(): string {
    return this.strategy === "overlay"
      ? "overlay mounts need root and a kernel with overlayfs; use { strategy: \"copy\" } instead"
      : "check free space and permissions in the image cache directory"
  }
  static override isInstance(u: unknown): u is RootfsPreparationFailed {
    return KrunboxError.isInstance(u) && u._tag === "RootfsPreparationFailed"
  }
}

/**
 * The image's `User` names a user or group that its `/etc/passwd` or `/etc/group` lacks.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidImageUser extends KrunboxError {
  readonly _tag = "InvalidImageUser" as const
  readonly user: string
  readonly reason: string
  constructor(props: {
    readonly user: string
    readonly reason: string
  }) {
    super(`image user ${JSON.stringify(props.user)} cannot be resolved: ${props.reason}`)
    this.user = props.user
    this.reason = props.reason
  }
  get hint(): string {
    return "run as a numeric uid[:gid] instead, or fix the image's /etc/passwd"
  }
  static override isInstance(u: unknown): u is InvalidImageUser {
    return KrunboxError.isInstance(u) && u._tag === "InvalidImageUser"
  }
}

/**
 * Every error an image operation can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ImageError =
  | InvalidReference
  | ImageNotFound
  | AuthFailed
  | RegistryUnreachable
  | RegistryProtocolError
  | DigestMismatch
  | TruncatedDownload
  | NoMatchingPlatform
  | DiskFull
  | UnsafeArchiveEntry
  | CorruptLayer
  | ImageNotPulled
  | ImageStoreIoError
  | RootfsPreparationFailed
  | InvalidImageUser
  | MetadataTooLarge

const imageErrorTags = new Set<string>([
  "InvalidReference",
  "ImageNotFound",
  "AuthFailed",
  "RegistryUnreachable",
  "RegistryProtocolError",
  "DigestMismatch",
  "TruncatedDownload",
  "NoMatchingPlatform",
  "DiskFull",
  "UnsafeArchiveEntry",
  "CorruptLayer",
  "ImageNotPulled",
  "ImageStoreIoError",
  "RootfsPreparationFailed",
  "InvalidImageUser",
  "MetadataTooLarge"
])

/**
 * True for any image error, also across copies of this package.
 *
 * @since 0.1.0
 * @category guards
 */
export const isImageError = (u: unknown): u is ImageError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && imageErrorTags.has(u._tag)

/**
 * A registry sent a manifest, index, image config or token response larger than krunbox reads
 * (docs/images.md, "Limits"). It is refused while streaming, before anything is kept.
 *
 * @since 0.1.0
 * @category errors
 */
export class MetadataTooLarge extends TaggedError("MetadataTooLarge")<{
  readonly what: "manifest" | "image config" | "token response"
  readonly url: string
  readonly limitBytes: number
  /** the size the registry or the manifest announced, when it announced one */
  readonly announcedBytes: number | undefined
}> {
  override get message(): string {
    const size =
      this.announcedBytes !== undefined ? `${this.announcedBytes} bytes announced` : `more than ${this.limitBytes} bytes sent`
    return `the ${this.what} at ${this.url} is larger than krunbox accepts (${size}; the limit is ${this.limitBytes} bytes)`
  }
  get hint(): string {
    return `real images keep their ${this.what === "token response" ? "tokens" : "manifests and configs"} far below this limit (a few KiB): the registry or the image is broken or hostile; check the reference and the registry`
  }
}
