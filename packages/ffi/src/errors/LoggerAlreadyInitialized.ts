import { TaggedError } from "@krunbox/core/KrunboxError"

/**
 * A second call to `krun_set_log_level` / `krun_init_log` was refused: libkrun installs a
 * process-global logger and panics (aborting the whole process) when asked to install another.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoggerAlreadyInitialized extends TaggedError("LoggerAlreadyInitialized")<{
  /** The refused call. */
  readonly function: "krun_set_log_level" | "krun_init_log"
  /** The call that installed the logger earlier in this process. */
  readonly initializedBy: "krun_set_log_level" | "krun_init_log"
  readonly libraryPath: string
}> {
  override get message(): string {
    return `${this.function} refused: ${this.initializedBy} already installed libkrun's logger in this process ` +
      `(${this.libraryPath}); a second installation would abort the process. ${this.hint}`
  }

  get hint(): string {
    return "libkrun's logger can be set once per process: configure logging once (the sdk runs one VM per " +
      "child process, so each child can choose its own level)."
  }
}
