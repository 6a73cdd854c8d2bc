// Throughput of validation and parsing (run after `pnpm build`): `pnpm bench`.
import * as os from "node:os"
import { Effect } from "effect"
import { EnvPair, FileSystem, MicroVmConfig, PathPair, Rlimit, Rootfs } from "../dist/index.js"

const measure = (name, fn, iterations = 20_000) => {
  for (let i = 0; i < 1_000; i++) fn()
  const rounds = []
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) fn()
    rounds.push(Number(process.hrtime.bigint() - start) / iterations / 1000)
  }
  rounds.sort((a, b) => a - b)
  console.log(`${name.padEnd(48)} median ${rounds[2].toFixed(2)} µs/op (min ${rounds[0].toFixed(2)}, max ${rounds[4].toFixed(2)})`)
}

const tmp = os.tmpdir()
const typical = MicroVmConfig.make({
  rootfs: Rootfs.native(tmp),
  execPath: "/bin/sh",
  args: ["-c", "echo hello"],
  env: Array.from({ length: 10 }, (_, i) => EnvPair.make(`VAR_${i}`, "value")),
  mappedDirs: [PathPair.make(tmp, "/data")],
  rlimits: [Effect.runSync(Rlimit.parse("RLIMIT_NOFILE=1024:2048"))]
})
const live = MicroVmConfig.validate(typical).pipe(Effect.provide(FileSystem.layer))
const table = MicroVmConfig.validate(typical).pipe(Effect.provide(FileSystem.layerTest({ [tmp]: "directory" })))

measure("validate, typical config, live fs (runSync)", () => Effect.runSync(live), 5_000)
measure("validate, typical config, test fs (runSync)", () => Effect.runSync(table), 5_000)
measure("Rlimit.parse (runSync)", () => Effect.runSync(Rlimit.parse("RLIMIT_NOFILE=1024:unlimited")))
measure("PathPair.parse (runSync)", () => Effect.runSync(PathPair.parse("/srv/data:/data")))
measure("toJson + JSON text + fromJson", () =>
  Effect.runSync(MicroVmConfig.fromJson(JSON.parse(JSON.stringify(MicroVmConfig.toJson(typical))))), 5_000)
