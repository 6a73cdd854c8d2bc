import { spawn } from "node:child_process"
import { access, constants } from "node:fs/promises"
import { delimiter, join } from "node:path"
import { CommandFailed } from "./errors.js"

/**
 * What a finished command printed.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandOutput {
  readonly stdout: string
  readonly stderr: string
}

/**
 * Options for {@link run}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Printed with the error when the command fails. */
  readonly hint: string
}

/**
 * Runs a command to completion and returns its output; a non-zero exit or a spawn failure is a
 * {@link CommandFailed} that carries the output. stdin is closed so nothing can prompt.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions): Promise<CommandOutput> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    child.on("error", (error) => reject(new CommandFailed(command, args, null, error.message, options.hint)))
    child.on("close", (code, signal) => {
      const out = Buffer.concat(stdout).toString("utf8")
      const err = Buffer.concat(stderr).toString("utf8")
      if (code === 0) resolve({ stdout: out, stderr: err })
      else reject(new CommandFailed(command, args, code ?? (signal === null ? -1 : 128), `${err}${out}`, options.hint))
    })
  })

/**
 * The absolute path of `name` on PATH, or undefined.
 *
 * @since 0.1.0
 * @category commands
 */
export const which = async (name: string): Promise<string | undefined> => {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

/**
 * True when this process runs as root (it may then install packages with apt-get).
 *
 * @since 0.1.0
 * @category commands
 */
export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0
