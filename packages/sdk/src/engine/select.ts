import type { EngineChoice } from "../MicroVm.js"
import { MicroVmCannotBoot } from "../errors.js"
import { HostChecks } from "@krunbox/runtime"
import { cachedProbeBoot, peekCachedProbe } from "./bootProbe.js"
import type { Engine } from "./Engine.js"
import { gvisorEngine } from "./gvisor.js"
import { libkrunEngine } from "./libkrun.js"

const noticesShown = new Set<string>()

/**
 * Picks the engine for a choice. `auto`: libkrun when the (cached) boot probe says microVMs boot
 * here, else gvisor with a one-line notice on stderr (once per reason and process). Forced
 * `libkrun` on a host known not to boot fails with the diagnosis (the launch itself checks
 * `/dev/kvm` and PVM).
 *
 * @internal
 */
export const selectEngine = async (choice: EngineChoice): Promise<Engine> => {
  if (choice === "gvisor") return gvisorEngine()
  if (choice === "libkrun") {
    // the specific diagnoses first, then what an earlier full probe found
    HostChecks.checkKvmAccess()
    HostChecks.checkNotPvm()
    const known = peekCachedProbe()
    if (known !== undefined && !known.booted) throw new MicroVmCannotBoot({ reason: known.reason ?? "the boot probe failed" })
    return libkrunEngine()
  }
  const probe = await cachedProbeBoot()
  if (probe.booted) return libkrunEngine()
  const reason = probe.reason ?? "the libkrun boot probe failed"
  if (!noticesShown.has(reason)) {
    noticesShown.add(reason)
    process.stderr.write(`krunbox: engine auto uses gvisor: ${reason}\n`)
  }
  return gvisorEngine()
}
