import { readFileSync } from "node:fs"
import { UsageError } from "./UsageError.js"

/**
 * Reads a Docker-style env file: `KEY=VALUE` per line, `#` comments and blank lines ignored, a
 * bare `KEY` takes the value from krunbox's own environment (and is skipped when unset there).
 */
export const readEnvFile = (path: string, hostEnv: NodeJS.ProcessEnv = process.env): ReadonlyArray<string> => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error"
    throw new UsageError(`cannot read --env-file (${code})`, path, "Give the path of a readable file of KEY=VALUE lines")
  }
  const entries: Array<string> = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const eq = line.indexOf("=")
    const key = eq === -1 ? line : line.slice(0, eq)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`invalid variable name in ${path} line ${index + 1}`, key, "Names are letters, digits and _, not starting with a digit")
    }
    if (eq !== -1) entries.push(line)
    else if (hostEnv[key] !== undefined) entries.push(`${key}=${hostEnv[key]}`)
  }
  return entries
}
