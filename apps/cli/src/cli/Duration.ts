import { UsageError } from "./UsageError.js"

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses a timeout such as `30s`, `500ms`, `2m`, `1h30m` or a bare number of seconds into
 * milliseconds.
 */
export const parseDuration = (flagName: string, text: string): number => {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  const consumed = parts.map((p) => p[0]).join("")
  if (parts.length === 0 || consumed !== trimmed) {
    throw new UsageError(`invalid duration for --${flagName}`, text, "Use a number of seconds or units like 500ms, 30s, 2m, 1h30m")
  }
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0)
  if (ms <= 0) throw new UsageError(`--${flagName} must be positive`, text, "Give a duration above zero, e.g. 30s")
  return Math.round(ms)
}
