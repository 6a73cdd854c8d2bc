/**
 * Text from outside krunbox (a registry's error body, an image's architecture or User, a layer's
 * file names, a tag) made safe to show on a terminal: every character a terminal would obey
 * instead of print is written as an escape. That is the C0 controls (ESC starts colour,
 * cursor and title sequences, CR and BS overwrite what was printed, NUL and BEL), DEL, the C1
 * controls (U+0080..U+009F: U+009B is a one-byte CSI for many terminals), the line and paragraph
 * separators, and the bidirectional overrides that reorder what the reader sees.
 *
 * Every place that prints such text uses this one function: the image library's error
 * messages, and the CLI's output (messages, hints, tables, progress, JSON).
 *
 * @since 0.1.0
 */

// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const obeyed = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * Returns `text` with every control character written as `\n`, `\r`, `\t` or `\uXXXX`.
 * Backslashes are kept as they are, so text without control characters is unchanged. With
 * `keepNewlines`, `\n` stays a line break (for multi-line output krunbox formats itself, such as
 * pretty-printed JSON, whose strings `JSON.stringify` has already escaped; the escapes this
 * function adds are valid inside JSON strings, so JSON stays JSON).
 *
 * @example
 * ```ts
 * escape("amd64\u001b]0;pwned\u0007") // "amd64\\u001b]0;pwned\\u0007"
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const escape = (text: string, options: { readonly keepNewlines?: boolean } = {}): string =>
  text.replace(obeyed, (char) => {
    switch (char) {
      case "\n":
        return options.keepNewlines === true ? char : "\\n"
      case "\r":
        return "\\r"
      case "\t":
        return "\\t"
      default:
        return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
    }
  })
