import { TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("LibraryNotFound")

/**
 * Where a candidate library path came from, in discovery order.
 *
 * @since 0.1.0
 * @category models
 */
export type LibrarySource = "option" | "env" | "manifest" | "loader" | "system"

/**
 * One place discovery looked.
 *
 * @since 0.1.0
 * @category models
 */
export interface LibraryProbe {
  /** An absolute path, or a bare file name handed to the dynamic loader (`source: "loader"`). */
  readonly candidate: string
  readonly source: LibrarySource
  readonly outcome: "loaded" | "missing" | "load-failed" | "invalid-manifest"
  /** What went wrong (the loader's message, the manifest problem), when something did. */
  readonly detail?: string
}

/**
 * Discovery could not load libkrun or libkrunfw from any candidate.
 *
 * @since 0.1.0
 * @category errors
 */
export class LibraryNotFound extends TaggedError<"LibraryNotFound"> {
  readonly _tag = "LibraryNotFound" as const
  readonly library: "libkrun" | "libkrunfw"
  /** Every candidate, in the order it was tried. */
  readonly probes: ReadonlyArray<LibraryProbe>
  readonly hint: string

  constructor(fields: {
    readonly library: "libkrun" | "libkrunfw"
    readonly probes: ReadonlyArray<LibraryProbe>
    readonly hint: string
  }) {
    const lines = fields.probes.map(
      (probe) =>
        `  - ${probe.candidate} [${probe.source}]: ${probe.outcome}${probe.detail === undefined ? "" : ` (${probe.detail})`}`
    )
    super(`${fields.library} not found. Probed:\n${lines.join("\n")}\n${fields.hint}`)
    this.library = fields.library
    this.probes = fields.probes
    this.hint = fields.hint
  }

  override get name(): string {
    return "LibraryNotFound"
  }

  /**
   * Whether `value` is a `LibraryNotFound`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is LibraryNotFound {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(LibraryNotFound.prototype, marker, { value: true })
