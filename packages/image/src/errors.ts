/**
 * Typed failures of image references, registries, the blob cache and layer unpacking.
 *
 * Every error carries the offending value, a `message` that says what happened and a `hint`
 * that says how to fix it. Messages quote registries and images (error bodies, names,
 * platforms, entries), so they pass through core's `TerminalText.escape`: a control character
 * in them is shown, never obeyed by a terminal. The fields keep the raw values.
 *
 * @since 0.1.0
 */
import { KrunboxError, TaggedError } from "@krunbox/core/KrunboxError"
import { escape as escapeForTerminal } from "@krunbox/core/TerminalText"

/**
 * The reference string is not a valid image reference.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidReference extends TaggedError("InvalidReference")<{
  readonly reference: string
  readonly reason: string
}> {
  override get message(): string {
    return escapeForTerminal(`invalid image reference ${JSON.stringify(this.reference)}: ${this.reason}`)
  }
  get hint(): string {
    return "write it as [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. alpine:3.20 or localhost:5000/busybox:latest"
  }
}

/**
 * The registry answered that the repository, tag or digest does not exist (or is not visible
 * to these credentials).
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageNotFound extends TaggedError("ImageNotFound")<{
  readonly reference: string
  readonly registry: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`image ${this.reference} not found on ${this.registry}: ${this.detail}`)
  }
  get hint(): string {
    return `check the repository name and tag (list local images with \`krunbox images\`); private repositories also answer "not found" without credentials`
  }
}

/**
 * The registry rejected the credentials, or wants credentials and none were found.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthFailed extends TaggedError("AuthFailed")<{
  readonly registry: string
  readonly reference: string
  readonly status: number
  /** where the credentials came from, or undefined when none were sent */
  readonly credentialSource: string | undefined
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`authentication to ${this.registry} for ${this.reference} failed (HTTP ${this.status}): ${this.detail}`)
  }
  get hint(): string {
    return this.credentialSource === undefined
      ? `the registry requires a login: add "${this.registry}": { "auth": base64("user:password") } under "auths" in ~/.docker/config.json (or run \`docker login ${this.registry}\`)`
      : `the credentials from ${this.credentialSource} were refused: update the "auth" entry for ${this.registry} there`
  }
}

/**
 * The registry could not be reached at all (DNS, refused connection, TLS, timeout).
 *
 * @since 0.1.0
 * @category errors
 */
export class RegistryUnreachable extends TaggedError("RegistryUnreachable")<{
  readonly registry: string
  readonly url: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`registry ${this.registry} is unreachable (${this.url}): ${this.detail}`)
  }
  get hint(): string {
    return `check that ${this.registry} is up and reachable from this host; for a plain-HTTP registry that is not on localhost pass { insecure: true } (CLI: --insecure)`
  }
}

/**
 * The registry answered in a way that breaks the distribution protocol (unexpected status,
 * malformed manifest, unsupported media type).
 *
 * @since 0.1.0
 * @category errors
 */
export class RegistryProtocolError extends TaggedError("RegistryProtocolError")<{
  readonly registry: string
  readonly url: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`unexpected answer from ${this.registry} (${this.url}): ${this.detail}`)
  }
  get hint(): string {
    return "the registry or the image is not OCI / Docker v2 (schema 2) compatible; re-push the image with a current tool (e.g. skopeo copy)"
  }
}

/**
 * A downloaded or cached blob does not hash to the digest that names it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DigestMismatch extends TaggedError("DigestMismatch")<{
  readonly expected: string
  readonly actual: string
  /** what was being verified: "blob", "manifest", "diff_id" */
  readonly what: string
  readonly source: string
}> {
  override get message(): string {
    return escapeForTerminal(`${this.what} from ${this.source} has digest ${this.actual}, expected ${this.expected}`)
  }
  get hint(): string {
    return "the content was corrupted in the registry or in transit and has been discarded; pull again, and if it repeats re-push the image to the registry"
  }
}

/**
 * A download ended before the announced number of bytes arrived, even after resuming.
 *
 * @since 0.1.0
 * @category errors
 */
export class TruncatedDownload extends TaggedError("TruncatedDownload")<{
  readonly digest: string
  readonly expectedBytes: number
  readonly receivedBytes: number
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`download of ${this.digest} stopped after ${this.receivedBytes} of ${this.expectedBytes} bytes: ${this.detail}`)
  }
  get hint(): string {
    return "the connection dropped; pull again: the bytes already received are kept and the download resumes where it stopped"
  }
}

/**
 * An image index has no manifest for the requested platform.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoMatchingPlatform extends TaggedError("NoMatchingPlatform")<{
  readonly reference: string
  readonly wanted: string
  readonly available: ReadonlyArray<string>
}> {
  override get message(): string {
    return escapeForTerminal(`image ${this.reference} has no manifest for ${this.wanted} (available: ${this.available.join(", ") || "none"})`)
  }
  get hint(): string {
    return !/^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/.test(this.wanted)
      ? "write the platform as os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"
      : this.available.length === 0
      ? "the index lists no platforms at all; re-push the image with platform annotations"
      : escapeForTerminal(`pick one of the available platforms with { platform: "${this.available[0]}" } (CLI: --platform), knowing that a foreign architecture cannot run on this host`)
  }
}

/**
 * The file system holding the image cache ran out of space.
 *
 * @since 0.1.0
 * @category errors
 */
export class DiskFull extends TaggedError("DiskFull")<{
  readonly path: string
  readonly operation: string
}> {
  override get message(): string {
    return escapeForTerminal(`no space left on device while ${this.operation} ${this.path}`)
  }
  get hint(): string {
    return "free space on that file system (remove unused images with `krunbox rmi REF`) or point KRUNBOX_CACHE_DIR at a larger one"
  }
}

/**
 * A layer archive contains an entry that would land outside the root file system, or one that
 * cannot be represented safely.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsafeArchiveEntry extends TaggedError("UnsafeArchiveEntry")<{
  readonly layer: string
  readonly entry: string
  readonly reason: string
}> {
  override get message(): string {
    return escapeForTerminal(`layer ${this.layer} entry ${JSON.stringify(this.entry)} rejected: ${this.reason}`)
  }
  get hint(): string {
    return "the layer is malformed or malicious and was not unpacked; rebuild the image from a trusted source"
  }
}

/**
 * A layer is not a readable tar archive (bad header checksum, unexpected end, unknown
 * compression).
 *
 * @since 0.1.0
 * @category errors
 */
export class CorruptLayer extends TaggedError("CorruptLayer")<{
  readonly layer: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`layer ${this.layer} cannot be unpacked: ${this.detail}`)
  }
  get hint(): string {
    return "the cached layer is unusable; remove the image with `krunbox rmi REF` and pull it again"
  }
}

/**
 * The image is not in the local store and pulling was not allowed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageNotPulled extends TaggedError("ImageNotPulled")<{
  readonly reference: string
}> {
  override get message(): string {
    return escapeForTerminal(`image ${this.reference} is not in the local store`)
  }
  get hint(): string {
    return `pull it first with \`krunbox pull ${this.reference}\` (or allow pulling with { pull: "missing" })`
  }
}

/**
 * A file system operation on the image cache failed for a reason other than lack of space.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageStoreIoError extends TaggedError("ImageStoreIoError")<{
  readonly path: string
  readonly operation: string
  readonly code: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`${this.operation} ${this.path} failed (${this.code}): ${this.detail}`)
  }
  get hint(): string {
    return this.code === "EACCES" || this.code === "EPERM"
      ? "the cache directory is not writable by this user; fix its permissions or set KRUNBOX_CACHE_DIR"
      : "check the cache directory (KRUNBOX_CACHE_DIR or ~/.cache/krunbox) and its file system"
  }
}

/**
 * Preparing a per-run root file system (copy or overlay mount) failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class RootfsPreparationFailed extends TaggedError("RootfsPreparationFailed")<{
  readonly strategy: string
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return escapeForTerminal(`preparing a ${this.strategy} rootfs at ${this.path} failed: ${this.detail}`)
  }
  get hint(): string {
    return this.strategy === "overlay"
      ? "overlay mounts need root and a kernel with overlayfs; use { strategy: \"copy\" } instead"
      : "check free space and permissions in the image cache directory"
  }
}

/**
 * The image's `User` names a user or group that its `/etc/passwd` or `/etc/group` lacks.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidImageUser extends TaggedError("InvalidImageUser")<{
  readonly user: string
  readonly reason: string
}> {
  override get message(): string {
    return escapeForTerminal(`image user ${JSON.stringify(this.user)} cannot be resolved: ${this.reason}`)
  }
  get hint(): string {
    return "run as a numeric uid[:gid] instead, or fix the image's /etc/passwd"
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
export const isImageError = (u: unknown): u is ImageError => KrunboxError.isInstance(u) && imageErrorTags.has(u._tag)

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
    return escapeForTerminal(`the ${this.what} at ${this.url} is larger than krunbox accepts (${size}; the limit is ${this.limitBytes} bytes)`)
  }
  get hint(): string {
    return `real images keep their ${this.what === "token response" ? "tokens" : "manifests and configs"} far below this limit (a few KiB): the registry or the image is broken or hostile; check the reference and the registry`
  }
}
