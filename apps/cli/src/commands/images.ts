import * as Image from "@krunbox/image"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { formatBytes, shortDigest } from "./pull.js"
import { jsonText, shown } from "../cli/Output.js"

/** `2026-11-29 17:50` in local time: when an image was pulled, at a glance. */
const formatTime = (iso: string): string => {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** Left-aligned columns separated by three spaces, like `docker images`. */
export const renderTable = (cells: ReadonlyArray<ReadonlyArray<string>>): string => {
  const rows = cells.map((row) => row.map(shown))
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("   ")).join("\n") + "\n"
}

/** One row of `images --all`: a pulled image, or an unpacked base no image references any more. */
interface StoreRow {
  readonly reference: string | null
  readonly manifestDigest: string
  readonly platform: string | null
  /** its blobs as stored (compressed) */
  readonly size: number | null
  readonly unpackedBytes: number | null
  readonly liveRuns: number
  readonly pulledAt: string | null
}

const allRows = (usage: Image.StoreUsage): Array<StoreRow> => [
  ...usage.images.map((image) => ({
    reference: image.reference,
    manifestDigest: image.manifestDigest,
    platform: image.platform,
    size: image.blobBytes,
    unpackedBytes: image.unpackedBytes ?? null,
    liveRuns: image.liveRuns,
    pulledAt: image.pulledAt
  })),
  // what `rmi` left for a run that used it, or a killed pull unpacked: `krunbox prune` removes it
  ...usage.bases
    .filter((base) => base.references.length === 0)
    .map((base) => ({
      reference: null,
      manifestDigest: base.manifestDigest,
      platform: null,
      size: null,
      unpackedBytes: base.bytes,
      liveRuns: base.liveRuns,
      pulledAt: null
    }))
]

/** `krunbox images`: the local image store as a table, or as a JSON array with --json; --all adds disk use and unreferenced bases. */
export const imagesCommand = async (parsed: Parsed): Promise<number> => {
  if (parsed.operands.length > 0) {
    throw new UsageError("images takes no operands", parsed.operands.join(" "), "Write krunbox images [--all] [--json]")
  }
  const store = Image.ImageStore.open()
  if (has(parsed, "all")) {
    const rows = allRows(store.usage())
    if (has(parsed, "json")) {
      process.stdout.write(`${jsonText(rows, { pretty: true })}\n`)
      return 0
    }
    process.stdout.write(
      renderTable([
        ["REFERENCE", "DIGEST", "PLATFORM", "SIZE", "UNPACKED", "RUNS", "PULLED"],
        ...rows.map((row) => [
          row.reference ?? "<none>",
          shortDigest(row.manifestDigest),
          row.platform ?? "-",
          row.size === null ? "-" : formatBytes(row.size),
          row.unpackedBytes === null ? "-" : formatBytes(row.unpackedBytes),
          String(row.liveRuns),
          row.pulledAt === null ? "-" : formatTime(row.pulledAt)
        ])
      ])
    )
    return 0
  }
  const images = store.list()
  if (has(parsed, "json")) {
    process.stdout.write(`${jsonText(images, { pretty: true })}\n`)
    return 0
  }
  const rows = [
    ["REFERENCE", "DIGEST", "PLATFORM", "SIZE", "PULLED"],
    ...images.map((image) => [image.reference, shortDigest(image.manifestDigest), image.platform, formatBytes(image.size), formatTime(image.pulledAt)])
  ]
  process.stdout.write(renderTable(rows))
  return 0
}
