import * as Image from "@krunbox/image"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { jsonText, shown } from "../cli/Output.js"
import { renderTable } from "./images.js"
import { formatBytes } from "./pull.js"

/** The `system df` table: per kind, how many, how many in use, their size and what prune frees. */
const dfRows = (usage: Image.StoreUsage): Array<Array<string>> => {
  const sum = <A>(items: ReadonlyArray<A>, bytes: (a: A) => number) => items.reduce((total, item) => total + bytes(item), 0)
  const row = (kind: string, total: number, active: number, bytes: number, reclaimable: number) => [
    kind,
    String(total),
    String(active),
    formatBytes(bytes),
    formatBytes(reclaimable)
  ]
  const unusedBases = usage.bases.filter((base) => base.references.length === 0 && base.liveRuns === 0)
  return [
    ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
    row("Images", usage.images.length, usage.images.filter((i) => i.liveRuns > 0).length, usage.blobs.bytes, usage.blobs.unusedBytes),
    row("Unpacked images", usage.bases.length, usage.bases.filter((b) => b.liveRuns > 0).length, sum(usage.bases, (b) => b.bytes), sum(unusedBases, (b) => b.bytes)),
    row("Runs", usage.runs.length, usage.runs.filter((r) => r.live).length, sum(usage.runs, (r) => r.bytes), sum(usage.runs.filter((r) => !r.live), (r) => r.bytes)),
    row("Partial downloads", usage.downloads.length, usage.downloads.filter((d) => d.active).length, sum(usage.downloads, (d) => d.bytes), sum(usage.downloads.filter((d) => !d.active), (d) => d.bytes)),
    row("Unpack leftovers", usage.unpackDirs.length, usage.unpackDirs.filter((d) => d.active).length, sum(usage.unpackDirs, (d) => d.bytes), sum(usage.unpackDirs.filter((d) => !d.active), (d) => d.bytes))
  ]
}

/** `krunbox system df`: what the image store takes on disk and what `krunbox prune` would free. */
export const systemCommand = async (parsed: Parsed): Promise<number> => {
  const [sub, ...extra] = parsed.operands
  if (sub !== "df" || extra.length > 0) {
    throw new UsageError("system needs the subcommand df", parsed.operands.join(" ") || undefined, "Write krunbox system df [--json]")
  }
  const usage = Image.ImageStore.open().usage()
  if (has(parsed, "json")) {
    process.stdout.write(`${jsonText(usage, { pretty: true })}\n`)
    return 0
  }
  process.stdout.write(renderTable(dfRows(usage)))
  process.stdout.write(`\nTotal ${formatBytes(usage.totalBytes)} in ${shown(usage.root)}; ${formatBytes(usage.reclaimableBytes)} reclaimable with krunbox prune\n`)
  return 0
}
