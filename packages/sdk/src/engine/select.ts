import type { EngineChoice } from "../MicroVm.js"
import { engineFallback, type Notice } from "../Notice.js"
import { MicroVmCannotBoot } from "../errors.js"
import { HostChecks } from "@krunbox/runtime"
import { cachedProbeBoot, peekCachedProbe } from "./bootProbe.js"
import type { Engine } from "./Engine.js"
import { gvisorEngine } from "./gvisor.js"
import { libkrunEngine } from "./libkrun.js"

/**
 * Picks the engine for a choice. `auto`: libkrun when the (cached) boot probe says microVMs boot
 * here, else gvisor, telling the caller with an `EngineFallback` notice. Forced
 * `libkrun` on a host known not to boot fails with the diagnosis (the launch itself checks
 * `/dev/kvm` and PVM).
 *
 * @internal
 */
export const selectEngine = async (choice: EngineChoice, notify: (notice: Notice) => void): Promise<Engine> => {
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
  notify(engineFallback(probe.reason ?? "the libkrun boot probe failed"))
  return gvisorEngine()
}
