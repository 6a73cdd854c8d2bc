// A shell script with environment variables and a working directory.
// Run: node src/shell-script.ts
import { MicroVm } from "@krunbox/sdk"

// One line, no double quotes: libkrun carries args on the guest kernel command line, which cannot
// hold newlines or `"` (krunbox refuses them with a typed error that says so). Longer scripts go
// into a file in a mapped directory (see shared-folder.ts).
const script = [
  "echo running as $(id -u) in $(pwd)",
  "echo GREETING=$GREETING, TARGET=$TARGET",
  "test $(pwd) = /tmp || exit 10",
  "exit 3"
].join("; ")
const vm = MicroVm.builder()
  .execPath("/bin/sh")
  .args(["-c", script])
  .env(["GREETING=hello", "TARGET=world"])
  .workdirPath("/tmp")
  .build()

const result = await vm.run()
process.stdout.write(result.stdout)
console.log(`exit status: ${result.status} (engine: ${result.engine})`)
process.exitCode = result.status === 3 ? 0 : 1
