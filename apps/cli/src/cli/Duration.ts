import { MAX_TIMEOUT_MS } from "@krunbox/sdk"
import { UsageError } from "./UsageError.js"

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses a timeout such as `30s`, `500ms`, `2m`, `1h30m` or a bare number of seconds into
 * milliseconds: above zero and at most the SDK's `MAX_TIMEOUT_MS` (365 days, `8760h`).
 */
export const parseDuration = (flagName: string, text: string): number => {
  const trimmed = text.trim()
  let ms: number
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    ms = Number(trimmed) * 1000
  } else {
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
    const consumed = parts.map((p) => p[0]).join("")
    if (parts.length === 0 || consumed !== trimmed) {
      throw new UsageError(`invalid duration for --${flagName}`, text, "Use a number of seconds or units like 500ms, 30s, 2m, 1h30m")
    }
    ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0)
  }
  if (ms <= 0) throw new UsageError(`--${flagName} must be positive`, text, "Give a duration above zero, e.g. 30s")
  if (!(Math.round(ms) <= MAX_TIMEOUT_MS)) {
    throw new UsageError(`--${flagName} is longer than 365 days`, text, "Give at most 8760h (365 days), or leave the flag out for no timeout")
  }
  return Math.round(ms)
}
