// Enforce a timeout on a runaway workload.
// Run: node src/timeout.ts
import { MicroVm } from "@krunbox/sdk"

const vm = MicroVm.builder().execPath("/bin/sh").args(["-c", "echo working forever; sleep 3600"]).build()
const result = await vm.run({ timeoutMs: 2000 })
console.log(`timedOut=${result.timedOut} signal=${result.signal} after ${Math.round(result.timings.totalMs)} ms`)
process.stdout.write(result.stdout)
process.exitCode = result.timedOut ? 0 : 1
