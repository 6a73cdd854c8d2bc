/**
 * Typed failures of `krunbox setup`: each names what is missing or broken, the offending value,
 * and the command that fixes it (`fix`, which is also the error's `hint`).
 *
 * @since 0.1.0
 */
import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * A program setup needs is not installed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolMissing extends TaggedError("ToolMissing")<{
  readonly tool: string
  readonly neededFor: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.tool} is not installed (needed for ${this.neededFor}); fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * A program is installed but older than setup needs.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolTooOld extends TaggedError("ToolTooOld")<{
  readonly tool: string
  readonly found: string
  readonly required: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.tool} ${this.found} is too old (need >= ${this.required}); fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * A command setup ran exited with a failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommandFailed extends TaggedError("CommandFailed")<{
  readonly step: string
  readonly command: string
  readonly exitCode: number | null
  readonly outputTail: string
  readonly fix: string
}> {
  override get message(): string {
    const code = this.exitCode === null ? "was killed" : `exited with ${this.exitCode}`
    const tail = this.outputTail.length > 0 ? `\n${this.outputTail}` : ""
    return `${this.step}: \`${this.command}\` ${code}; fix: ${this.fix}${tail}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * The guest init's C sources are not where the SDK expects them.
 *
 * @since 0.1.0
 * @category errors
 */
export class InitSourcesMissing extends TaggedError("InitSourcesMissing")<{
  readonly searched: ReadonlyArray<string>
  readonly fix: string
}> {
  override get message(): string {
    return `krunbox-init sources (native/krunbox-init/main.c) not found in: ${this.searched.join(", ")}; fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * No Debian archive could be derived from the system's apt sources.
 *
 * @since 0.1.0
 * @category errors
 */
export class DebianArchiveUnknown extends TaggedError("DebianArchiveUnknown")<{
  readonly searched: ReadonlyArray<string>
  readonly neededFor: string
  readonly fix: string
}> {
  override get message(): string {
    return `no Debian archive found in ${this.searched.join(", ") || "(no apt sources)"} (needed for ${this.neededFor}); fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * A file setup produced does not look like what it should be.
 *
 * @since 0.1.0
 * @category errors
 */
export class ArtifactInvalid extends TaggedError("ArtifactInvalid")<{
  readonly path: string
  readonly problem: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.path}: ${this.problem}; fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * The cache directory cannot be written or read.
 *
 * @since 0.1.0
 * @category errors
 */
export class CacheIoError extends TaggedError("CacheIoError")<{
  readonly path: string
  readonly operation: string
  readonly reason: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.operation} ${this.path}: ${this.reason}; fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * `runtime.json` is missing or malformed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ManifestInvalid extends TaggedError("ManifestInvalid")<{
  readonly path: string
  readonly problem: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.path}: ${this.problem}; fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * gVisor's runsc is missing and cannot be installed from here (not root).
 *
 * @since 0.1.0
 * @category errors
 */
export class RunscMissing extends TaggedError("RunscMissing")<{
  readonly searched: ReadonlyArray<string>
  readonly fix: string
}> {
  override get message(): string {
    return `runsc (gVisor) not found in ${this.searched.join(", ")}; fix: ${this.fix}`
  }
  get hint(): string {
    return this.fix
  }
}

/**
 * Every failure setup can report.
 *
 * @since 0.1.0
 * @category errors
 */
export type SetupError =
  | ToolMissing
  | ToolTooOld
  | CommandFailed
  | InitSourcesMissing
  | DebianArchiveUnknown
  | ArtifactInvalid
  | CacheIoError
  | ManifestInvalid
  | RunscMissing
