// Per-call cost of the bindings against the real libkrun (run `pnpm build` first).
// Usage: pnpm --filter @krunbox/ffi bench
import { performance } from "node:perf_hooks"
import { Libkrun } from "../dist/index.js"

const loadStart = performance.now()
const krun = Libkrun.load()
const loadMs = performance.now() - loadStart

const measure = (name, iterations, body) => {
  for (let i = 0; i < Math.min(iterations, 1000); i++) body(i) // warm up
  const start = performance.now()
  for (let i = 0; i < iterations; i++) body(i)
  const perCallUs = ((performance.now() - start) * 1000) / iterations
  console.log(`${name.padEnd(46)} ${perCallUs.toFixed(2).padStart(9)} µs/call  (${iterations} calls)`)
}

console.log(`Libkrun.load (discovery, dlopen, libkrunfw preload, version): ${loadMs.toFixed(1)} ms`)
const ctx = krun.createCtx()
const portMap = Array.from({ length: 100 }, (_, i) => `${10_000 + i}:${20_000 + i}`)
const argv = Array.from({ length: 10 }, (_, i) => `--arg-${i}`)
measure("hasFeature (no arguments to convert)", 200_000, () => krun.hasFeature(0))
measure("setVmConfig (3 integers)", 200_000, () => krun.setVmConfig(ctx, 1, 512))
measure("setWorkdir (one C string)", 200_000, () => krun.setWorkdir(ctx, "/srv/app"))
measure("setExec (path, 10 args, 3 env)", 50_000, () => krun.setExec(ctx, "/bin/app", argv, ["A=1", "B=2", "C=3"]))
measure("setPortMap (100 entries)", 10_000, () => krun.setPortMap(ctx, portMap))
measure("setVmConfig failing (KrunError built)", 50_000, () => {
  try {
    krun.setVmConfig(ctx, 0, 512)
  } catch {
    // expected: EINVAL
  }
})
measure("createCtx + freeCtx", 20_000, () => krun.freeCtx(krun.createCtx()))
krun.freeCtx(ctx)
