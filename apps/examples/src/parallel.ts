// Run N workloads in parallel and collect their statuses.
// Run: node src/parallel.ts [N]
import { MicroVm } from "@krunbox/sdk"

const count = Number(process.argv[2] ?? 4)
const started = performance.now()
const results = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    MicroVm.builder()
      .execPath("/bin/sh")
      .args(["-c", `echo worker ${i} says hi; exit ${i}`])
      .build()
      .run()
  )
)
for (const [i, result] of results.entries()) {
  console.log(`worker ${i}: status ${result.status}, output ${JSON.stringify(result.stdout.trim())}`)
}
console.log(`${count} VMs in ${Math.round(performance.now() - started)} ms`)
process.exitCode = results.every((r, i) => r.status === i) ? 0 : 1
