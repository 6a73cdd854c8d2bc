import { readdirSync, readFileSync } from "node:fs"

/** Live (non-zombie) processes whose command line contains `needle`. */
export const processesMentioning = (needle: string): ReadonlyArray<number> => {
  const pids: Array<number> = []
  let entries: Array<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return pids
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // a zombie has an empty cmdline, so it never matches
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1")
      if (cmdline.includes(needle)) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Waits until no process mentions `needle` (they are already dying through PDEATHSIG); after
 * `graceMs` the survivors get SIGKILL so a VM never outlives its handle.
 */
export const reapProcessesMentioning = async (needle: string, graceMs = 2_000): Promise<void> => {
  const deadline = Date.now() + graceMs
  for (;;) {
    const pids = processesMentioning(needle)
    if (pids.length === 0) return
    if (Date.now() >= deadline) {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // already gone
        }
      }
      await sleep(20)
      if (processesMentioning(needle).length === 0) return
      continue
    }
    await sleep(10)
  }
}
