import { TaggedError, errorMarker, hasMarker } from "../internal/TaggedError.js"

const marker = errorMarker("LoggerAlreadyInitialized")

/**
 * A second call to `krun_set_log_level` / `krun_init_log` was refused: libkrun installs a
 * process-global logger and panics (aborting the whole process) when asked to install another.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoggerAlreadyInitialized extends TaggedError<"LoggerAlreadyInitialized"> {
  readonly _tag = "LoggerAlreadyInitialized" as const
  /** The refused call. */
  readonly function: "krun_set_log_level" | "krun_init_log"
  /** The call that installed the logger earlier in this process. */
  readonly initializedBy: "krun_set_log_level" | "krun_init_log"
  readonly libraryPath: string
  readonly hint: string

  constructor(fields: {
    readonly function: "krun_set_log_level" | "krun_init_log"
    readonly initializedBy: "krun_set_log_level" | "krun_init_log"
    readonly libraryPath: string
  }) {
    const hint =
      "libkrun's logger can be set once per process: configure logging once (the sdk runs one VM per " +
      "child process, so each child can choose its own level)."
    super(
      `${fields.function} refused: ${fields.initializedBy} already installed libkrun's logger in this process ` +
        `(${fields.libraryPath}); a second installation would abort the process. ${hint}`
    )
    this.function = fields.function
    this.initializedBy = fields.initializedBy
    this.libraryPath = fields.libraryPath
    this.hint = hint
  }

  override get name(): string {
    return "LoggerAlreadyInitialized"
  }

  /**
   * Whether `value` is a `LoggerAlreadyInitialized`, even one from another copy of this package.
   *
   * @since 0.1.0
   */
  static isInstance(value: unknown): value is LoggerAlreadyInitialized {
    return hasMarker(value, marker)
  }
}
Object.defineProperty(LoggerAlreadyInitialized.prototype, marker, { value: true })
