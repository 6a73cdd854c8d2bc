import * as Image from "@krunbox/image"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { formatBytes } from "./pull.js"
import { errorJson, KRUNBOX_FAILURE, reportFailure } from "./report.js"
import { jsonText, shown } from "../cli/Output.js"

/**
 * `krunbox rmi REF...`: removes each image (and the blobs no other image uses). Like `docker rmi`,
 * one failure does not stop the others; the exit status is 125 if any failed.
 */
export const rmiCommand = async (parsed: Parsed): Promise<number> => {
  if (parsed.operands.length === 0) {
    throw new UsageError("rmi needs at least one image reference", undefined, "Write e.g. krunbox rmi alpine:3.20 (see krunbox images)")
  }
  const json = has(parsed, "json")
  const store = Image.ImageStore.open()
  const results: Array<Record<string, unknown>> = []
  let failed = false
  for (const reference of parsed.operands) {
    try {
      const removed = await store.remove(reference)
      results.push({ ...removed })
      if (!json) {
        process.stdout.write(`Deleted ${shown(removed.reference)} (${removed.deletedBlobs} blob${removed.deletedBlobs === 1 ? "" : "s"}, ${formatBytes(removed.freedBytes)} freed)\n`)
      }
    } catch (error) {
      failed = true
      if (json) results.push({ reference, error: errorJson(error) })
      else reportFailure(error, false)
    }
  }
  if (json) process.stdout.write(`${jsonText(results, { pretty: true })}\n`)
  return failed ? KRUNBOX_FAILURE : 0
}
