/**
 * OCI platforms (`linux/amd64`, `linux/arm64/v8`) and the choice of a manifest from an index.
 *
 * @since 0.1.0
 */

/**
 * An OCI platform.
 *
 * @since 0.1.0
 * @category models
 */
export interface Platform {
  readonly os: string
  readonly architecture: string
  readonly variant?: string | undefined
}

const nodeArchToOci: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64el: "mips64le"
}

/**
 * The platform of this host (`linux/amd64` on x86-64).
 *
 * @since 0.1.0
 * @category constructors
 */
export const host = (): Platform => {
  const architecture = nodeArchToOci[process.arch] ?? process.arch
  if (architecture === "arm") {
    const armVersion = (process.config.variables as { arm_version?: string }).arm_version
    return { os: "linux", architecture, variant: `v${armVersion ?? "7"}` }
  }
  return { os: "linux", architecture }
}

/**
 * Parses `os/arch[/variant]`; returns undefined when the text is not of that shape.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string): Platform | undefined => {
  const parts = text.split("/")
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[a-z0-9_.-]+$/.test(part))) return undefined
  const [os, architecture, variant] = parts as [string, string, string | undefined]
  return variant === undefined ? { os, architecture } : { os, architecture, variant }
}

/**
 * `os/arch[/variant]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (platform: Platform): string =>
  `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ""}`

/**
 * True when a manifest built for `candidate` runs on `wanted`. A missing variant on either
 * side matches any variant, except that arm64 treats a missing variant as `v8`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const matches = (wanted: Platform, candidate: Platform): boolean => {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false
  const normalise = (p: Platform) => (p.architecture === "arm64" && !p.variant ? "v8" : p.variant)
  const wantedVariant = normalise(wanted)
  const candidateVariant = normalise(candidate)
  return wantedVariant === undefined || candidateVariant === undefined || wantedVariant === candidateVariant
}
