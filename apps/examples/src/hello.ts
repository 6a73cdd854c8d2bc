// Hello world: boot a VM on the built-in busybox rootfs and get the guest's exit status back.
// Run: node src/hello.ts
import { MicroVm } from "@krunbox/sdk"

const vm = MicroVm.builder().execPath("/bin/echo").args(["hello from a krunbox VM"]).build()
const status = await vm.start()
console.log(`exit status: ${status}`)
process.exitCode = status
