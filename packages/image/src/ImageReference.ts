/**
 * Image references (`alpine`, `localhost:5000/busybox:latest`, `repo@sha256:...`), normalised
 * the way Docker does.
 *
 * @since 0.1.0
 */
import { InvalidReference } from "./errors.js"

/**
 * A fully qualified image reference.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageReference {
  /** registry host with optional port, e.g. `docker.io`, `localhost:5000` */
  readonly registry: string
  /** repository path inside the registry, e.g. `library/alpine` */
  readonly repository: string
  /** tag; `latest` when neither a tag nor a digest was given */
  readonly tag: string | undefined
  /** `sha256:<64 hex>`; when present it wins over the tag */
  readonly digest: string | undefined
}

/**
 * The registry Docker uses when a reference names none.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRegistry = "docker.io"

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const tagPattern = /^[\w][\w.-]{0,127}$/
const digestPattern = /^sha256:[a-f0-9]{64}$/
const domainPattern =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/

/**
 * Parses and normalises a reference: `alpine` becomes `docker.io/library/alpine:latest`.
 *
 * @throws InvalidReference
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: string): ImageReference => {
  const fail = (reason: string): never => {
    throw new InvalidReference({ reference: input, reason })
  }
  if (input.length === 0) fail("it is empty")
  if (input.length > 4096) fail("it is longer than 4096 characters")
  if (/\s/.test(input)) fail("it contains white space")

  let rest = input
  let digest: string | undefined
  const at = rest.indexOf("@")
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!digest.startsWith("sha256:")) fail(`only sha256 digests are supported, got "${digest}"`)
    if (!digestPattern.test(digest)) fail(`the digest must be sha256: followed by 64 lowercase hex digits`)
  }

  let tag: string | undefined
  const lastSlash = rest.lastIndexOf("/")
  const lastColon = rest.lastIndexOf(":")
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!tagPattern.test(tag)) fail(`the tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`)
  }

  let registry = defaultRegistry
  let repository = rest
  const firstSlash = rest.indexOf("/")
  if (firstSlash !== -1) {
    const first = rest.slice(0, firstSlash)
    if (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase()) {
      registry = first
      repository = rest.slice(firstSlash + 1)
      if (!domainPattern.test(registry)) fail(`the registry "${registry}" is not a valid host[:port]`)
    }
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = defaultRegistry
  if (registry === defaultRegistry && !repository.includes("/")) repository = `library/${repository}`

  if (repository.length === 0) fail("the repository name is empty")
  if (repository.length > 255) fail("the repository name is longer than 255 characters")
  for (const component of repository.split("/")) {
    if (!pathComponent.test(component)) {
      fail(
        component !== component.toLowerCase()
          ? `repository names must be lowercase ("${component}")`
          : `"${component}" is not a valid repository path component (lowercase letters, digits and single separators . _ __ -)`
      )
    }
  }
  if (tag === undefined && digest === undefined) tag = "latest"
  return { registry, repository, tag, digest }
}

/**
 * The canonical text form: `registry/repository[:tag][@digest]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (ref: ImageReference): string =>
  `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${
    ref.digest !== undefined ? `@${ref.digest}` : ""
  }`

/**
 * The short form Docker prints: `alpine:latest` for `docker.io/library/alpine:latest`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const familiar = (ref: ImageReference): string => {
  const full = format(ref)
  if (ref.registry !== defaultRegistry) return full
  const withoutRegistry = full.slice(defaultRegistry.length + 1)
  return withoutRegistry.startsWith("library/") ? withoutRegistry.slice("library/".length) : withoutRegistry
}

/**
 * The same reference pinned to a manifest digest (the tag is kept for display).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withDigest = (ref: ImageReference, digest: string): ImageReference => ({ ...ref, digest })

/**
 * True for registries on the loopback interface (`localhost`, `127.0.0.0/8`, `[::1]`), which
 * are spoken to over plain HTTP like Docker does.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLoopbackRegistry = (registry: string): boolean => {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0]
  return host === "localhost" || host === "[::1]" || (host !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))
}

/**
 * The host that serves the v2 API of a registry (`docker.io` is served by
 * `registry-1.docker.io`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const apiHost = (registry: string): string =>
  registry === defaultRegistry ? "registry-1.docker.io" : registry
