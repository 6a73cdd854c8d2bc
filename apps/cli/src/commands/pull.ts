import * as Image from "@krunbox/image"
import { flag, has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import { UsageError } from "../cli/UsageError.js"
import { jsonText, shown } from "../cli/Output.js"

/** `1.5 MiB`, `512 B`: binary units, one decimal. */
export const formatBytes = (bytes: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** `sha256:0123456789ab`: enough of a digest to tell images apart. */
export const shortDigest = (digest: string): string => shown(digest.slice(0, "sha256:".length + 12))

interface LayerLine {
  readonly digest: string
  status: string
  received: number
  readonly total: number
}

/**
 * Prints pull progress on stderr. On a terminal: one line per layer with its bytes, redrawn in
 * place. Otherwise (CI logs, pipes): one line when the image is resolved, one per layer as it
 * completes, one when it is unpacked.
 */
export const pullProgressPrinter = (stream: NodeJS.WriteStream = process.stderr): ((event: Image.PullEvent) => void) => {
  const tty = stream.isTTY === true
  const layers: Array<LayerLine> = []
  let drawn = 0
  let lastDraw = 0
  let unpacking = ""

  const line = (layer: LayerLine): string => {
    const bytes = layer.status === "downloading" || layer.status === "resuming"
      ? `${formatBytes(layer.received)} / ${formatBytes(layer.total)}`
      : formatBytes(layer.total)
    return `  ${shortDigest(layer.digest)}  ${layer.status.padEnd(11)} ${bytes}`
  }
  const draw = (force: boolean) => {
    const now = performance.now()
    if (!force && now - lastDraw < 100) return
    lastDraw = now
    const lines = [...layers.map(line), ...(unpacking === "" ? [] : [`  ${unpacking}`])]
    let out = drawn > 0 ? `\x1b[${drawn}A` : ""
    for (const text of lines) out += `\r\x1b[2K${text}\n`
    drawn = lines.length
    stream.write(out)
  }

  return (event) => {
    switch (event.type) {
      case "resolving":
        stream.write(tty ? `Pulling ${shown(event.reference)}\n` : `[pull] resolving ${shown(event.reference)}\n`)
        return
      case "resolved": {
        const summary = `${shortDigest(event.manifestDigest)} ${shown(event.platform)}: ${event.layers.length} layer${event.layers.length === 1 ? "" : "s"}, ${formatBytes(event.totalBytes)}`
        stream.write(tty ? `  ${summary}\n` : `[pull] resolved ${summary}\n`)
        for (const layer of event.layers) layers.push({ digest: layer.digest, status: "waiting", received: 0, total: layer.size })
        return
      }
      case "layer": {
        const layer = layers.find((l) => l.digest === event.digest)
        if (layer === undefined) return
        const changed = layer.status !== event.status
        layer.status = event.status
        layer.received = event.receivedBytes
        if (tty) draw(changed)
        else if (changed && (event.status === "done" || event.status === "cached")) {
          stream.write(`[pull] layer ${shortDigest(event.digest)} ${event.status} ${formatBytes(event.totalBytes)}\n`)
        }
        return
      }
      case "unpacking":
        if (tty) {
          unpacking = `unpacking layer ${event.index + 1}/${event.count}`
          draw(true)
        }
        return
      case "unpacked":
        if (tty) {
          unpacking = `unpacked in ${(event.milliseconds / 1000).toFixed(1)} s`
          draw(true)
        } else {
          stream.write(`[pull] unpacked in ${(event.milliseconds / 1000).toFixed(1)} s\n`)
        }
        return
      case "done":
        if (tty) draw(true)
        return
    }
  }
}

/** `krunbox pull REF`: progress on stderr; the pulled image on stdout (as JSON with --json). */
export const pullCommand = async (parsed: Parsed): Promise<number> => {
  const [reference, ...extra] = parsed.operands
  if (reference === undefined || extra.length > 0) {
    throw new UsageError("pull needs one image reference", parsed.operands.join(" ") || undefined, "Write e.g. krunbox pull alpine:3.20")
  }
  const json = has(parsed, "json")
  const abort = new AbortController()
  let interruptedBy: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    interruptedBy ??= signal
    abort.abort()
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  try {
    const platform = flag(parsed, "platform")
    const image = await Image.ImageStore.open().pull(reference, {
      insecure: has(parsed, "insecure"),
      ...(platform === undefined ? {} : { platform }),
      onProgress: pullProgressPrinter(),
      signal: abort.signal
    })
    if (json) process.stdout.write(`${jsonText(image, { pretty: true })}\n`)
    else process.stdout.write(`${shown(image.reference)} ${image.manifestDigest}\n`)
    return 0
  } catch (error) {
    if (interruptedBy === undefined) throw error
    process.stderr.write("krunbox: pull interrupted; run it again to resume the downloads\n")
    return interruptedBy === "SIGINT" ? 130 : 143
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
}
