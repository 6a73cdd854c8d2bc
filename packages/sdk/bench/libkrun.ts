/**
 * libkrun: from starting a VM to the runner being about to call `krun_start_enter`, against a bare
 * `node` that loads koffi, libkrunfw and libkrun; plus the runner's RSS at that point.
 *
 * The runner's stop-before-enter mode marks the point: it has loaded @krunbox/ffi and the
 * libraries, applied the whole config to a real libkrun context, and reports (on fd 4) instead of
 * entering. The PVM check is skipped in that mode, so this runs on PVM hosts too.
 */
import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import { MicroVm } from "../src/index.js"
import { launchLibkrun } from "../src/engine/libkrun.js"
import { locateLibrary } from "../src/engine/libraries.js"
import { busyboxRootfs } from "./fixture.js"
import { mib, ms, stats, table } from "./stats.js"

const ITERATIONS = Number(process.env["KRUNBOX_BENCH_ITERATIONS"] ?? 20)
process.env["KRUNBOX_RUNNER"] ??= fileURLToPath(new URL("../../dist/runner.js", import.meta.url))
const sdkDir = fileURLToPath(new URL("../..", import.meta.url))

const libkrun = locateLibrary("libkrun")
const libkrunfw = locateLibrary("libkrunfw")
const fixture = busyboxRootfs()
if (libkrun === undefined || libkrunfw === undefined || fixture === undefined) {
  process.stdout.write("libkrun benchmark skipped: needs libkrun + libkrunfw (krunbox setup) and busybox-static\n")
  process.exit(0)
}

const vm = MicroVm.builder().rootfs(fixture.rootfs).engine("libkrun").execPath("/bin/sh").args(["-c", "exit 0"]).build()

/** VM start to "about to call krun_start_enter", as seen by the parent. */
const krunbox = async (): Promise<{ ms: number; rss: number }> => {
  const startedAt = performance.now()
  let stoppedAt = 0
  let rss = 0
  const session = await launchLibkrun(vm.config, { explicit: new Set() }, {
    stopBeforeEnter: true,
    onRunnerMessage: (message) => {
      if (message.type === "stopped") {
        stoppedAt = performance.now()
        rss = message.rssBytes
      }
    }
  })
  session.stdout.resume()
  session.stderr.resume()
  const end = await session.ended
  if (end._tag !== "Exited" || stoppedAt === 0) throw new Error(`runner did not stop cleanly: ${JSON.stringify(end)}`)
  return { ms: stoppedAt - startedAt, rss }
}

const bareScript = `
import koffi from "koffi"
koffi.load(${JSON.stringify(libkrunfw)})
koffi.load(${JSON.stringify(libkrun)})
process.stdout.write(JSON.stringify({ rss: process.memoryUsage.rss() }))
`

/** Spawn of `node` that loads koffi and both libraries, to its first output. */
const bare = (): Promise<{ ms: number; rss: number }> =>
  new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(process.execPath, ["--input-type=module", "-e", bareScript], { cwd: sdkDir, stdio: ["ignore", "pipe", "inherit"] })
    let text = ""
    let loadedAt = 0
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      if (loadedAt === 0) loadedAt = performance.now()
      text += chunk
    })
    child.on("exit", (code) => {
      if (code !== 0 || loadedAt === 0) reject(new Error(`bare node exited ${code}`))
      else resolve({ ms: loadedAt - startedAt, rss: (JSON.parse(text) as { rss: number }).rss })
    })
  })

const samples = { krunbox: [] as Array<number>, bare: [] as Array<number>, krunboxRss: [] as Array<number>, bareRss: [] as Array<number> }
for (let i = 0; i < 3; i++) {
  await krunbox()
  await bare()
}
for (let i = 0; i < ITERATIONS; i++) {
  const a = await krunbox()
  samples.krunbox.push(a.ms)
  samples.krunboxRss.push(a.rss)
  const b = await bare()
  samples.bare.push(b.ms)
  samples.bareRss.push(b.rss)
}
rmSync(fixture.dir, { recursive: true, force: true })

const k = stats(samples.krunbox)
const b = stats(samples.bare)
const kr = stats(samples.krunboxRss)
const br = stats(samples.bareRss)
process.stdout.write(
  table(
    `libkrun engine: start -> runner about to call krun_start_enter (n=${ITERATIONS}, ${libkrun})`,
    ["what", "median", "p90", "mean", "RSS (median)"],
    [
      ["krunbox runner (spawn, ffi, config calls)", ms(k.median), ms(k.p90), ms(k.mean), mib(kr.median)],
      ["bare node + koffi + libkrunfw + libkrun", ms(b.median), ms(b.p90), ms(b.mean), mib(br.median)],
      ["ratio krunbox / bare", (k.median / b.median).toFixed(2), (k.p90 / b.p90).toFixed(2), (k.mean / b.mean).toFixed(2), (kr.median / br.median).toFixed(2)]
    ]
  )
)
