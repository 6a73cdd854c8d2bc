import { Effect } from "effect"
import type { RunscEntry } from "../Manifest.js"
import { RunscMissing } from "../SetupError.js"
import { probe, run, which } from "./process.js"
import type { StepContext } from "./progress.js"

const SEARCH = ["/usr/bin", "/usr/sbin", "/usr/local/bin"]

export const findRunsc = (): RunscEntry | undefined => {
  const runsc = which("runsc", SEARCH)
  if (runsc === undefined) return undefined
  const version = probe(runsc, ["--version"])?.split("\n")[0]?.trim()
  return { path: runsc, version: version !== undefined && version !== "" ? version : "unknown" }
}

/**
 * Step e: gVisor's runsc. Missing and root: `apt-get install -y runsc` (system apt, updating the
 * package lists when the package is unknown). Missing otherwise: RunscMissing with the command.
 */
export const ensureRunsc = (ctx: StepContext) =>
  Effect.gen(function* () {
    const present = findRunsc()
    if (present !== undefined) {
      ctx.emit({ step: "runsc", status: "skip", detail: `${present.path} (${present.version})` })
      return present
    }
    const fix = "sudo apt-get install -y runsc (Debian/Ubuntu), or install gVisor from its release packages"
    if (process.getuid?.() !== 0 || which("apt-get") === undefined) {
      return yield* Effect.fail(new RunscMissing({ searched: ["PATH", ...SEARCH], fix }))
    }
    ctx.emit({ step: "runsc", status: "start", detail: "apt-get install -y runsc" })
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    const onLine = (line: string) => ctx.emit({ step: "runsc", status: "progress", detail: line })
    const install = run("apt-get", ["install", "-y", "--no-install-recommends", "runsc"], { step: "runsc", fix, env, onLine })
    yield* install.pipe(
      Effect.catch(() =>
        run("apt-get", ["update"], { step: "runsc", fix, env, onLine }).pipe(Effect.flatMap(() => install))
      )
    )
    const installed = findRunsc()
    if (installed === undefined) return yield* Effect.fail(new RunscMissing({ searched: ["PATH", ...SEARCH], fix }))
    ctx.emit({ step: "runsc", status: "done", detail: `${installed.path} (${installed.version})` })
    return installed
  })
