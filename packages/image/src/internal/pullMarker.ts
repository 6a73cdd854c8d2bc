/**
 * A pull in progress names the blobs it is fetching, so that a prune or a remove in another
 * process does not delete them between their download and the image's record:
 * `pulls/<token>.json` holds the puller's stamp (owner.ts) and the digests, kept fresh by a
 * heartbeat, and is removed when the pull ends. A killed pull leaves it behind with a dead
 * owner; prune removes it, and the blobs it named are then garbage like any other.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { ownerAlive, type OwnerStamp, ownStamp, readStampFile, startHeartbeat } from "./owner.js"

export class PullMarker {
  private readonly digests = new Set<string>()
  private stopHeartbeat: (() => void) | undefined

  private constructor(readonly file: string) {}

  /** Starts marking (the file appears with the first digests). */
  static start(pullsDir: string): PullMarker {
    return new PullMarker(path.join(pullsDir, `${randomBytes(8).toString("hex")}.json`))
  }

  add(...digests: ReadonlyArray<string>): void {
    for (const digest of digests) this.digests.add(digest)
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 })
    // replaced whole, so a reader never sees half a list
    const temp = `${this.file}.${process.pid}.tmp`
    fs.writeFileSync(temp, JSON.stringify({ ...ownStamp(), digests: [...this.digests] }))
    fs.renameSync(temp, this.file)
    this.stopHeartbeat ??= startHeartbeat(this.file)
  }

  end(): void {
    this.stopHeartbeat?.()
    fs.rmSync(this.file, { force: true })
  }
}

/** The digests live pulls are fetching, and the marker files of dead ones. */
export const readPullMarkers = (pullsDir: string): { readonly live: Set<string>; readonly deadFiles: Array<string> } => {
  const live = new Set<string>()
  const deadFiles: Array<string> = []
  let names: Array<string> = []
  try {
    names = fs.readdirSync(pullsDir).filter((name) => name.endsWith(".json"))
  } catch {
    // no pulls yet
  }
  for (const name of names) {
    const file = path.join(pullsDir, name)
    const held = readStampFile(file)
    if (held === undefined) continue // being written right now
    if (!ownerAlive(held.stamp as OwnerStamp, held.touchedMs)) {
      deadFiles.push(file)
      continue
    }
    const digests = (held.stamp as { digests?: unknown }).digests
    if (Array.isArray(digests)) for (const digest of digests) if (typeof digest === "string") live.add(digest)
  }
  return { live, deadFiles }
}
