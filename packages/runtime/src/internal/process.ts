import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { CommandFailed } from "../SetupError.js"

export interface RunOptions {
  readonly step: string
  readonly fix: string
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Called with every complete line of stdout and stderr as it arrives. */
  readonly onLine?: (line: string) => void
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
}

const TAIL_LINES = 30

const tail = (text: string): string => text.trimEnd().split("\n").slice(-TAIL_LINES).join("\n")

export const quote = (args: ReadonlyArray<string>): string =>
  args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ")

const pdeathsigWrapper: string | undefined =
  process.platform === "linux" ? ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p)) : undefined

/** Runs a command to completion; a non-zero exit (or failure to start) is a CommandFailed. */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions) =>
  Effect.callback<RunResult, CommandFailed>((resume) => {
    // setpriv --pdeathsig: a long build must not outlive a setup that was killed
    const [file, argv] = pdeathsigWrapper !== undefined ? [pdeathsigWrapper, ["--pdeathsig", "TERM", "--", command, ...args]] : [command, args]
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    const pending = { stdout: "", stderr: "" }
    const feed = (which: "stdout" | "stderr", chunk: string) => {
      if (which === "stdout") stdout += chunk
      else stderr += chunk
      if (options.onLine === undefined) return
      const lines = (pending[which] + chunk).split(/\r?\n|\r/)
      pending[which] = lines.pop() ?? ""
      for (const line of lines) if (line.trim() !== "") options.onLine(line)
    }
    child.stdout.setEncoding("utf8").on("data", (c: string) => feed("stdout", c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => feed("stderr", c))
    child.on("error", (err) => {
      resume(
        Effect.fail(
          new CommandFailed({
            step: options.step,
            command: quote([command, ...args]),
            exitCode: null,
            outputTail: err.message,
            fix: options.fix
          })
        )
      )
    })
    child.on("close", (code) => {
      if (code === 0) {
        resume(Effect.succeed({ stdout, stderr }))
      } else {
        resume(
          Effect.fail(
            new CommandFailed({
              step: options.step,
              command: quote([command, ...args]),
              exitCode: code,
              outputTail: tail(`${stdout}\n${stderr}`),
              fix: options.fix
            })
          )
        )
      }
    })
    return Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    })
  })

/** Runs a quick probe synchronously; undefined when it cannot start or fails. */
export const probe = (
  command: string,
  args: ReadonlyArray<string>,
  env?: NodeJS.ProcessEnv
): string | undefined => {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    env: env ?? process.env,
    timeout: 20_000,
    stdio: ["ignore", "pipe", "pipe"]
  })
  if (result.error !== undefined || result.status !== 0) return undefined
  return result.stdout
}

/** The absolute path of an executable on PATH (or in extra directories), or undefined. */
export const which = (name: string, extraDirs: ReadonlyArray<string> = []): string | undefined => {
  const dirs = [...(process.env["PATH"] ?? "").split(path.delimiter), ...extraDirs].filter((d) => d !== "")
  for (const dir of dirs) {
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}
