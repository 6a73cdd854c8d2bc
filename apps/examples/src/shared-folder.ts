// Share a host folder with the guest and let the workload write its result into it.
// Run: node src/shared-folder.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MicroVm } from "@krunbox/sdk"

const outDir = mkdtempSync(join(tmpdir(), "krunbox-example-"))
try {
  const vm = MicroVm.builder()
    .mappedDirs([`${outDir}:/out`])
    .execPath("/bin/sh")
    .args(["-c", "seq 1 5 | while read n; do echo $((n * n)); done > /out/squares.txt"])
    .build()
  const status = await vm.start()
  const squares = readFileSync(join(outDir, "squares.txt"), "utf8").trim().split("\n")
  console.log(`guest exited ${status}; it wrote: ${squares.join(" ")}`)
  process.exitCode = status === 0 && squares.join(",") === "1,4,9,16,25" ? 0 : 1
} finally {
  rmSync(outDir, { recursive: true, force: true })
}
