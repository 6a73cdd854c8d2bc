import { TaggedError } from "@krunbox/core/KrunboxError"

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
export class LibraryNotFound extends TaggedError("LibraryNotFound")<{
  readonly library: "libkrun" | "libkrunfw"
  /** Every candidate, in the order it was tried. */
  readonly probes: ReadonlyArray<LibraryProbe>
  readonly hint: string
}> {
  override get message(): string {
    const lines = this.probes.map(
      (probe) =>
        `  - ${probe.candidate} [${probe.source}]: ${probe.outcome}${probe.detail === undefined ? "" : ` (${probe.detail})`}`
    )
    return `${this.library} not found. Probed:\n${lines.join("\n")}\n${this.hint}`
  }
}
