import { Setup } from "@krunbox/runtime"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"
import packageJson from "../../package.json" with { type: "json" }

export const krunboxVersion: string = packageJson.version

/** `krunbox version`: never sets anything up; says how when the native runtime is missing. */
export const versionCommand = async (parsed: Parsed): Promise<number> => {
  const manifest = await Setup.load().catch(() => undefined)
  const versions = {
    krunbox: krunboxVersion,
    node: process.versions.node,
    libkrun: manifest?.libkrun.version ?? null,
    libkrunfw: manifest?.libkrunfw.version ?? null,
    runsc: manifest?.runsc?.version ?? null
  }
  if (has(parsed, "json")) {
    process.stdout.write(`${JSON.stringify(versions)}\n`)
  } else {
    const missing = "not set up (run: krunbox setup)"
    process.stdout.write(
      [
        `krunbox   ${versions.krunbox}`,
        `libkrun   ${versions.libkrun ?? missing}${manifest === undefined ? "" : ` (${manifest.libkrun.path})`}`,
        `libkrunfw ${versions.libkrunfw ?? missing}`,
        `runsc     ${versions.runsc ?? "not installed"}`,
        `node      ${versions.node}`,
        ""
      ].join("\n")
    )
  }
  return 0
}
