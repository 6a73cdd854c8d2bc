/**
 * gvisor: `run()` of `/bin/true` through the SDK, against `runsc run` of an equivalent bundle
 * written by hand (same rootfs, args, env, mounts, namespaces, memory/CPU limits, platform and
 * network flags).
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { MicroVm } from "../src/index.js"
import { which } from "../src/internal/which.js"
import { busyboxRootfs } from "./fixture.js"
import { ms, stats, table } from "./stats.js"

const ITERATIONS = Number(process.env["KRUNBOX_BENCH_ITERATIONS"] ?? 20)
const runsc = which("runsc")
const fixture = busyboxRootfs()
if (runsc === undefined || fixture === undefined) {
  process.stdout.write("gvisor benchmark skipped: needs runsc and busybox-static\n")
  process.exit(0)
}
const root = process.getuid?.() === 0

const vm = MicroVm.builder().rootfs(fixture.rootfs).engine("gvisor").execPath("/bin/true").build()

const sdkRun = async (): Promise<number> => {
  const startedAt = performance.now()
  const result = await vm.run()
  if (result.status !== 0) throw new Error(`run() gave ${JSON.stringify(result)}`)
  return performance.now() - startedAt
}

const bundle = join(fixture.dir, "bundle")
mkdirSync(bundle)
let counter = 0
const handSpec = (id: string) => ({
  ociVersion: "1.0.2",
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: ["/bin/true"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
    cwd: "/"
  },
  root: { path: fixture.rootfs, readonly: false },
  hostname: "bench",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs" },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] }
  ],
  linux: {
    namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
    ...(root
      ? { cgroupsPath: `/krunbox-bench/${id}`, resources: { memory: { limit: 1024 * 1024 * 1024 }, cpu: { quota: 100_000, period: 100_000 } } }
      : {})
  }
})

const handRun = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const id = `bench-${process.pid}-${counter++}`
    writeFileSync(join(bundle, "config.json"), JSON.stringify(handSpec(id)))
    const state = mkdtempSync(join(tmpdir(), "krunbox-bench-state-"))
    const startedAt = performance.now()
    const child = spawn(runsc, [
      "--root", state, "--platform=ptrace", "--network=none",
      ...(root ? ["--cpu-num-from-quota"] : ["--rootless", "--ignore-cgroups"]),
      "run", "--bundle", bundle, id
    ], { stdio: ["ignore", "pipe", "pipe"] })
    child.stdout.resume()
    child.stderr.resume()
    child.on("exit", (code) => {
      const elapsed = performance.now() - startedAt
      rmSync(state, { recursive: true, force: true })
      if (code !== 0) reject(new Error(`runsc run exited ${code}`))
      else resolve(elapsed)
    })
  })

for (let i = 0; i < 3; i++) {
  await sdkRun()
  await handRun()
}
const sdk: Array<number> = []
const hand: Array<number> = []
for (let i = 0; i < ITERATIONS; i++) {
  sdk.push(await sdkRun())
  hand.push(await handRun())
}
rmSync(fixture.dir, { recursive: true, force: true })

const s = stats(sdk)
const h = stats(hand)
process.stdout.write(
  table(
    `gvisor engine: run() of /bin/true vs runsc run of a hand-written bundle (n=${ITERATIONS}, ${runsc})`,
    ["what", "median", "p90", "mean", "min"],
    [
      ["krunbox vm.run()", ms(s.median), ms(s.p90), ms(s.mean), ms(s.min)],
      ["runsc run (hand-written bundle)", ms(h.median), ms(h.p90), ms(h.mean), ms(h.min)],
      ["ratio krunbox / runsc", (s.median / h.median).toFixed(2), (s.p90 / h.p90).toFixed(2), (s.mean / h.mean).toFixed(2), (s.min / h.min).toFixed(2)]
    ]
  )
)
