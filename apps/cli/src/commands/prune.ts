import * as Image from "@krunbox/image"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { jsonText } from "../cli/Output.js"
import { formatBytes } from "./pull.js"

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** `krunbox prune`: removes from the image store what nothing uses, and says what it freed. */
export const pruneCommand = async (parsed: Parsed): Promise<number> => {
  if (parsed.operands.length > 0) {
    throw new UsageError("prune takes no operands", parsed.operands.join(" "), "Write krunbox prune [--json]; to remove an image use krunbox rmi REF")
  }
  const result = await Image.ImageStore.open().prune()
  if (has(parsed, "json")) {
    process.stdout.write(`${jsonText(result, { pretty: true })}\n`)
    return 0
  }
  const parts = [
    [result.staleRuns, "stale run", "stale runs"],
    [result.removedBases, "unused unpacked image", "unused unpacked images"],
    [result.removedDownloads, "partial download", "partial downloads"],
    [result.removedUnpackDirs, "unpack leftover", "unpack leftovers"],
    [result.deletedBlobs, "unused blob", "unused blobs"]
  ] as const
  const removed = parts.filter(([n]) => n > 0).map(([n, one, many]) => count(n, one, many))
  process.stdout.write(removed.length === 0 ? "Nothing to remove\n" : `Removed ${removed.join(", ")}: ${formatBytes(result.freedBytes)} freed\n`)
  return 0
}
