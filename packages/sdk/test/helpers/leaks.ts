import { readdirSync, readlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { processesMentioning } from "../../src/internal/procScan.js"

/** Temp dirs this process's VMs created (`krunbox-<pid>-XXXXXX`). */
export const ownTempDirs = (pid = process.pid): ReadonlyArray<string> =>
  readdirSync(tmpdir()).filter((entry) => entry.startsWith(`krunbox-${pid}-`))

/** Live processes whose command line names one of this process's VM temp dirs (runsc, sandbox, gofer, runner). */
export const ownVmProcesses = (pid = process.pid): ReadonlyArray<number> =>
  processesMentioning(join(tmpdir(), `krunbox-${pid}-`))

/** Open fds of this process, by target (sockets and pipes count). */
export const openFds = (): ReadonlyArray<string> => {
  const fds: Array<string> = []
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      fds.push(`${fd}:${readlinkSync(join("/proc/self/fd", fd))}`)
    } catch {
      // the fd readdir itself used, closed meanwhile
    }
  }
  return fds
}

/** cgroups the gvisor engine created for this process's VMs and left behind. */
export const ownCgroups = (pid = process.pid): ReadonlyArray<string> => {
  const found: Array<string> = []
  const bases = ["/sys/fs/cgroup"]
  try {
    for (const entry of readdirSync("/sys/fs/cgroup")) bases.push(join("/sys/fs/cgroup", entry))
  } catch {
    return found
  }
  for (const base of bases) {
    try {
      for (const entry of readdirSync(join(base, "krunbox"))) {
        if (entry.startsWith(`krunbox-${pid}-`)) found.push(join(base, "krunbox", entry))
      }
    } catch {
      // no krunbox cgroups under this controller
    }
  }
  return found
}
