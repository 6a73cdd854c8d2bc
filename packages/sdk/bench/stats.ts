/** Small helpers shared by the benchmarks: timing statistics and a plain-text table. */
export interface Stats {
  readonly n: number
  readonly median: number
  readonly p90: number
  readonly mean: number
  readonly min: number
}

export const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  return {
    n: sorted.length,
    median: at(0.5),
    p90: at(0.9),
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    min: sorted[0] ?? Number.NaN
  }
}

export const table = (title: string, header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join("  ").trimEnd()
  return ["", title, line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n") + "\n"
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
