import { Doctor } from "@krunbox/runtime"
import { probeBoot } from "@krunbox/sdk"
import { has } from "../cli/Parser.js"
import type { Parsed } from "../cli/Parser.js"

/**
 * `krunbox doctor`: exits 0 when at least one engine can run workloads on this host. The runtime's
 * doctor boots its probe VM with the SDK's libkrun engine.
 */
export const doctorCommand = async (parsed: Parsed): Promise<number> => {
  const report = await Doctor.report({ bootProbe: !has(parsed, "no-probe"), probe: probeBoot })
  process.stdout.write(has(parsed, "json") ? `${JSON.stringify(report, null, 2)}\n` : Doctor.format(report))
  const usable = Object.values(report.engines).some((engine) => engine.usable)
  return usable ? 0 : 1
}
