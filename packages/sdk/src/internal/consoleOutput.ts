import { closeSync, openSync } from "node:fs"
import { ConsoleOutputUnwritable, type EngineName } from "../errors.js"

/**
 * Creates or truncates the console output file, then opens it for appending (the gVisor sandbox
 * writes stdout and stderr through separate host fds, each with its own idea of the offset: only
 * O_APPEND keeps both). A failure is a typed error naming the path, never Node's raw one.
 */
export const openConsoleOutput = (engine: EngineName, path: string): number => {
  try {
    closeSync(openSync(path, "w"))
    return openSync(path, "a")
  } catch (cause) {
    throw new ConsoleOutputUnwritable({ engine, path, code: (cause as NodeJS.ErrnoException).code ?? "UNKNOWN", cause })
  }
}
