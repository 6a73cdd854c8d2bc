/**
 * The host side of the guest control protocol, version 1 (PROTOCOL.md, "Control protocol"): the
 * guest init sends UTF-8 JSON objects, one per line, over vsock port {@link CONTROL_PORT}. This
 * module decodes them; it does no I/O, so any transport (the SDK's unix socket, a test's pipe)
 * can feed it.
 *
 * Everything here reads bytes a guest wrote: a guest is hostile, so decoding never throws, keeps
 * at most {@link MAX_LINE_CHARS} of an unfinished line, and drops what it does not understand.
 *
 * @since 0.1.0
 */

/**
 * The protocol version this codec speaks (`"v"` of every message).
 *
 * @since 0.1.0
 * @category constants
 */
export const PROTOCOL_VERSION = 1

/**
 * The vsock port the guest init connects to on the host (CID 2); `KRUNBOX_CONTROL_PORT` in the
 * guest overrides it.
 *
 * @since 0.1.0
 * @category constants
 */
export const CONTROL_PORT = 1100

/**
 * The longest unfinished line kept while waiting for its newline; a peer that never sends one
 * loses the line instead of growing the host's memory.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LINE_CHARS = 64 * 1024

/**
 * A message from the guest init. Fields are optional because receivers must accept messages that
 * leave them out; unknown fields are kept but not typed.
 *
 * @since 0.1.0
 * @category models
 */
export type GuestMessage =
  | { readonly type: "ready"; readonly agent?: string; readonly uptime_ms?: number }
  | { readonly type: "error"; readonly stage?: string; readonly errno?: number; readonly message?: string }
  | { readonly type: "exit"; readonly status?: number; readonly signal?: number | null }

const knownTypes: ReadonlySet<unknown> = new Set(["ready", "error", "exit"])

/**
 * Decodes one line (without its newline). Returns undefined for anything that is not a version-1
 * message of a known type: unknown versions and types are ignored, as the protocol requires.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeLine = (line: string): GuestMessage | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof parsed !== "object" || parsed === null) return undefined
  const message = parsed as { v?: unknown; type?: unknown }
  if (message.v !== PROTOCOL_VERSION || !knownTypes.has(message.type)) return undefined
  return parsed as GuestMessage
}

/**
 * Splits a stream of text chunks into lines and decodes each; one per connection.
 *
 * @since 0.1.0
 * @category decoding
 */
export class LineDecoder {
  private buffer = ""

  /** Feeds a chunk; returns the messages of every line it completed, in order. */
  push(chunk: string): ReadonlyArray<GuestMessage> {
    this.buffer += chunk
    const messages: Array<GuestMessage> = []
    let newline = this.buffer.indexOf("\n")
    while (newline >= 0) {
      const message = decodeLine(this.buffer.slice(0, newline))
      if (message !== undefined) messages.push(message)
      this.buffer = this.buffer.slice(newline + 1)
      newline = this.buffer.indexOf("\n")
    }
    if (this.buffer.length > MAX_LINE_CHARS) this.buffer = ""
    return messages
  }
}
