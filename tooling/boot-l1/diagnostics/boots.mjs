// Boots N microVMs (CONC at a time) with the SDK and prints one line per VM; when a VM runs longer
// than 90 s it dumps its VMM's L1 threads (state, user/system time, kernel stack) and 2 s of L1's
// kvm:* trace events, whose guest RIPs can be decoded against libkrunfw's kernel image
// (docs/boot-l1.md, "Guests that stop for good"). Run it in the L1 from the checkout:
//   pnpm test:boot --exec 'N=12 CONC=1 node tooling/boot-l1/diagnostics/boots.mjs'
// Environment: N, CONC, MEM (guest MiB, 256), LOG (libkrun log level, 0), CONSOLE=0 (pipes
// instead of a console file per VM).
import { execSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { MicroVm } from "../../../packages/sdk/dist/index.js"

const n = Number(process.env.N ?? 20), conc = Number(process.env.CONC ?? 1)
const counts = {}
let i = 0
const dumpStuck = (k) => {
  const lines = [`stress vm ${k} stuck: thread states`]
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd = ""
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ") } catch { continue }
    let comm0 = ""
    try { comm0 = readFileSync(`/proc/${pid}/comm`, "utf8").trim() } catch {}
    if (!cmd.includes("runner.js") && !comm0.startsWith("kvm")) continue
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const r = (f) => { try { return readFileSync(`/proc/${pid}/task/${tid}/${f}`, "utf8").trim() } catch (e) { return "?" } }
      const stat = r("stat").split(") ")[1]?.split(" ") ?? []
      lines.push(`  ${pid}/${tid} ${r("comm")} state=${stat[0]} utime=${stat[11]} stime=${stat[12]} cpu=${stat[36]} wchan=${r("wchan")}`)
      const stack = r("stack"); if (stack !== "?" && stack !== "") lines.push(stack.split("\n").slice(0, 12).map((l) => "      " + l).join("\n"))
    }
  }
  try {
    lines.push(execSync(`set +e; T=/sys/kernel/tracing; [ -d $T/events ] || mount -t tracefs nodev $T; echo 0 > $T/tracing_on; echo > $T/trace; echo 20000 > $T/buffer_size_kb;
      for e in kvm_exit kvm_pio kvm_inj_virq kvm_msr kvm_pic_set_irq kvm_ioapic_set_irq kvm_apic_accept_irq kvm_mmio; do echo 1 > $T/events/kvm/$e/enable; done;
      echo 1 > $T/tracing_on; sleep 2; echo 0 > $T/tracing_on;
      echo "trace lines: $(grep -vc '^#' $T/trace)"; grep -v '^#' $T/trace | sed -E 's/^.*\\] [^ ]+ +[0-9.]+: //' | awk '{ if ($1 == "kvm_exit:") print $1, $5, $7; else print $1, $2, $3, $4 }' | sort | uniq -c | sort -rn | head -25;
      grep -v '^#' $T/trace | tail -30`, { encoding: "utf8", shell: "/bin/sh" }))
  } catch (e) { lines.push(`trace failed: ${e.message}`) }
  try { lines.push(readFileSync("/proc/interrupts", "utf8").split("\n").filter((l) => /LOC|CAL|RES|TLB|NMI/.test(l)).join("\n")) } catch {}
  console.log(lines.join("\n"))
}
const one = async (k) => {
  const t = performance.now()
  const stuck = setInterval(() => dumpStuck(k), 90_000)
  let out
  try {
    const builder = MicroVm.builder().engine("libkrun").execPath("/bin/sh").args(["-c", `exit ${k % 100}`]).memoryMib(Number(process.env.MEM ?? 256)).logLevel(Number(process.env.LOG ?? 0))
    const r = await (process.env.CONSOLE === "0" ? builder : builder.consoleOutput(`/tmp/stress-console-${k}.log`)).build().run({ timeoutMs: 240000 })
    out = r.status === k % 100 ? "ok" : `wrong status=${r.status} signal=${r.signal} timedOut=${r.timedOut}`
  } catch (e) { out = `error ${e._tag}: ${String(e.message).slice(0, 300)}`; console.log(`stress vm ${k} console tail:\n${String(e.consoleTail ?? '').slice(-1500)}`) }
  clearInterval(stuck)
  counts[out.split(" ")[0]] = (counts[out.split(" ")[0]] ?? 0) + 1
  console.log(`stress vm ${k} ${out} ${((performance.now() - t) / 1000).toFixed(1)}s`)
}
while (i < n) {
  const wave = []
  for (let c = 0; c < conc && i < n; c++) wave.push(one(i++))
  await Promise.all(wave)
}
console.log(`stress done ${JSON.stringify(counts)}`)
