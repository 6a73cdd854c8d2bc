// Build a Debian rootfs with debootstrap (cached after the first build) and run python3 in it.
// Run: node src/debian-python.ts          (first run: a few minutes, needs root and debootstrap)
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import { MicroVm } from "@krunbox/sdk"

const cacheRoot = process.env.KRUNBOX_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "krunbox")
const rootfs = join(cacheRoot, "examples", "debian-bookworm-python3")

const sh = (command: string, args: ReadonlyArray<string>) => {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"] })
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`)
}

if (!existsSync(join(rootfs, "usr/bin/python3"))) {
  if (process.getuid?.() !== 0) {
    console.log("skipped: building the Debian rootfs needs root (debootstrap); run as root once to cache it")
    process.exit(0)
  }
  if (spawnSync("sh", ["-c", "command -v debootstrap"]).status !== 0) {
    console.log("installing debootstrap (apt-get install -y debootstrap)")
    // a fresh machine may have empty package lists: refresh them once and retry
    if (spawnSync("apt-get", ["install", "-y", "-q", "debootstrap"], { stdio: "inherit" }).status !== 0) {
      sh("apt-get", ["update", "-q"])
      sh("apt-get", ["install", "-y", "-q", "debootstrap"])
    }
  }
  // debootstrap uses the mirror this system's apt already uses, so nothing here names a host
  const mirror = spawnSync("sh", ["-c", "grep -rhoE '^(URIs:|deb) *[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}'"], { encoding: "utf8" }).stdout.trim()
  const building = `${rootfs}.building`
  rmSync(building, { recursive: true, force: true })
  mkdirSync(join(cacheRoot, "examples"), { recursive: true })
  console.log(`building a Debian bookworm rootfs with python3 into ${rootfs} (once)`)
  sh("debootstrap", ["--variant=minbase", "--include=python3-minimal", "bookworm", building, ...(mirror === "" ? [] : [mirror])])
  rmSync(join(building, "var/cache/apt/archives"), { recursive: true, force: true })
  renameSync(building, rootfs)
}

const result = await MicroVm.builder()
  .rootfs(rootfs)
  .execPath("/usr/bin/python3")
  .args(["-c", "import platform, sys; print(f'python {platform.python_version()} on', sys.platform)"])
  .build()
  .run()
process.stdout.write(result.stdout + result.stderr)
process.exitCode = result.status === 0 && result.stdout.startsWith("python 3") ? 0 : 1
