/**
 * The guest's root filesystem: one host directory (`Native`), a stack of
 * directories (`Overlayfs`, lowest layer first), or an OCI image (`Image`)
 * that the SDK resolves to a directory when a VM starts.
 *
 * A {@link Rootfs} is what a validated `MicroVmConfig` holds: directories on
 * this host. An {@link Image} is a request for one; it is a {@link Source},
 * accepted by the SDK's builder, never by `MicroVmConfig.validate`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidImageReference } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Native {
  readonly _tag: "Native"
  readonly path: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Overlayfs {
  readonly _tag: "Overlayfs"
  readonly paths: ReadonlyArray<string>
}

/**
 * An OCI image to run, by reference (`alpine:3.20`,
 * `localhost:5000/busybox:latest`, `repo@sha256:...`), kept as written: the
 * SDK normalises it (`alpine` is `docker.io/library/alpine:latest`), pulls it
 * when missing and turns it into a private directory for each run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Image {
  readonly _tag: "Image"
  readonly reference: string
}

/**
 * A root filesystem made of host directories: what a `MicroVmConfig` holds.
 *
 * @since 0.1.0
 * @category models
 */
export type Rootfs = Native | Overlayfs

/**
 * What a builder accepts as the root filesystem: directories, or an image that
 * is resolved to a {@link Native} directory when the VM starts.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = Rootfs | Image

/**
 * @since 0.1.0
 * @category constructors
 */
export const native = (path: string): Rootfs => ({ _tag: "Native", path })

/**
 * @since 0.1.0
 * @category constructors
 */
export const overlayfs = (paths: ReadonlyArray<string>): Rootfs => ({ _tag: "Overlayfs", paths: [...paths] })

/**
 * An image rootfs. Like {@link native}, it checks nothing: {@link parseImage}
 * (which the SDK's `build()` runs) reports a malformed reference.
 *
 * @example
 * ```ts
 * import { Rootfs } from "@krunbox/core"
 *
 * Rootfs.image("alpine:3.20") // { _tag: "Image", reference: "alpine:3.20" }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const image = (reference: string): Image => ({ _tag: "Image", reference })

/**
 * @since 0.1.0
 * @category guards
 */
export const isImage = (source: Source): source is Image => source._tag === "Image"

/**
 * Every host directory the rootfs uses.
 *
 * @since 0.1.0
 * @category getters
 */
export const paths = (rootfs: Rootfs): ReadonlyArray<string> =>
  rootfs._tag === "Native" ? [rootfs.path] : rootfs.paths

// The grammar of github.com/distribution/reference (what Docker accepts), checked without
// normalising: whatever passes here also parses in the SDK's image store.
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const tagPattern = /^\w[\w.-]{0,127}$/
const digestPattern = /^sha256:[a-f0-9]{64}$/
const domainPattern =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/

/** Why a reference is malformed, or undefined when it is well formed. */
const referenceProblem = (input: string): string | undefined => {
  if (input.length === 0) return "it is empty"
  if (input.length > 4096) return "it is longer than 4096 characters"
  if (/\s/.test(input)) return "it contains white space"
  let rest = input
  const at = rest.indexOf("@")
  if (at !== -1) {
    const digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!digest.startsWith("sha256:")) return `only sha256 digests are supported, got "${digest}"`
    if (!digestPattern.test(digest)) return "the digest must be sha256: followed by 64 lowercase hex digits"
  }
  const lastColon = rest.lastIndexOf(":")
  if (lastColon > rest.lastIndexOf("/")) {
    const tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!tagPattern.test(tag)) return `the tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
  }
  let registry = "docker.io"
  let repository = rest
  const firstSlash = rest.indexOf("/")
  if (firstSlash !== -1) {
    const first = rest.slice(0, firstSlash)
    // Docker's rule: a first component with a dot, a port, uppercase, or "localhost" is a registry
    if (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase()) {
      if (!domainPattern.test(first)) return `the registry "${first}" is not a valid host[:port]`
      registry = first
      repository = rest.slice(firstSlash + 1)
    }
  }
  if (repository.length === 0) return "the repository name is empty"
  // on Docker Hub a one-word name gets "library/" in front, which counts against the limit
  const onHub = registry === "docker.io" || registry === "index.docker.io" || registry === "registry-1.docker.io"
  const hubPrefix = onHub && !repository.includes("/") ? "library/".length : 0
  if (repository.length + hubPrefix > 255) return "the repository name is longer than 255 characters"
  for (const component of repository.split("/")) {
    if (!pathComponent.test(component)) {
      return component !== component.toLowerCase()
        ? `repository names must be lowercase ("${component}")`
        : `"${component}" is not a valid repository path component (lowercase letters, digits and single separators . _ __ -)`
    }
  }
  return undefined
}

/**
 * Checks an image reference's syntax (Docker's grammar:
 * `[registry[:port]/]repository[:tag][@sha256:<64 hex>]`, repository in lower
 * case) and makes an {@link Image} of it. Whether the image exists is found
 * out when it is pulled.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Rootfs } from "@krunbox/core"
 *
 * Effect.runSync(Rootfs.parseImage("localhost:5000/busybox:latest"))
 * Effect.runSync(Rootfs.parseImage("Alpine")) // throws InvalidImageReference
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseImage = (reference: string): Effect.Effect<Image, InvalidImageReference> => {
  const reason = referenceProblem(reference)
  return reason === undefined ? Effect.succeed(image(reference)) : Effect.fail(new InvalidImageReference({ reference, reason }))
}
