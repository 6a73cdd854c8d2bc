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

/** `krunbox images`: the local image store as a table, or as a JSON array with --json. */
export const imagesCommand = async (parsed: Parsed): Promise<number> => {
  if (parsed.operands.length > 0) {
    throw new UsageError("images takes no operands", parsed.operands.join(" "), "Write krunbox images [--json]")
  }
  const images = Image.ImageStore.open().list()
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
