/**
 * How the CLI puts text that is not its own on the terminal. Registries, images and the
 * libraries' error messages (which quote them) can carry control characters; every such string
 * goes through core's one escaping function, `TerminalText.escape`, before it is printed.
 */
import { TerminalText } from "@krunbox/core"

/** A string from a registry, an image, a library or the host, safe to print. */
export const shown = (text: string): string => TerminalText.escape(text)

/**
 * An error message or hint, which may span lines on purpose (a library's list of the paths it
 * probed): line breaks stay, every other control character is escaped, and continuation lines
 * are indented so that no line of it can pass for one of krunbox's own (`krunbox: hint: ...`).
 */
export const shownMessage = (text: string): string => TerminalText.escape(text, { keepNewlines: true }).replaceAll("\n", "\n  ")

/**
 * A value as JSON for stdout. `JSON.stringify` escapes the C0 controls inside strings; the
 * rest of what a terminal obeys (DEL, C1, bidirectional overrides) is escaped as `\uXXXX`,
 * so the document parses to the same value.
 */
export const jsonText = (value: unknown, options: { readonly pretty?: boolean } = {}): string =>
  TerminalText.escape(JSON.stringify(value, null, options.pretty === true ? 2 : undefined), { keepNewlines: true })
