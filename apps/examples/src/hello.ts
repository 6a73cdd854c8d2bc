// Hello world: boot a VM on the built-in busybox rootfs and get the guest's exit status back.
// Run: node src/hello.ts
import { MicroVm } from "@krunbox/sdk"

const vm = MicroVm.builder().execPath("/bin/echo").args(["hello from a krunbox VM"]).build()
// notices (e.g. engine "auto" falling back to gVisor where microVMs cannot boot) come to us to show
const status = await vm.start({ onNotice: (notice) => console.error(`note: ${notice.message}`) })
console.log(`exit status: ${status}`)
process.exitCode = status
