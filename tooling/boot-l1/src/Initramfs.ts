import { createHash } from "node:crypto"
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises"
import { basename, join } from "node:path"
import { gzipSync } from "node:zlib"
import { type CpioEntry, writeCpio } from "./Cpio.js"
import type { L1Kernel } from "./Kernel.js"
import { moduleName } from "./Kernel.js"

/**
 * PID 1 of the L1 (busybox sh). It loads KVM and virtio-blk (with any `module.param=value` words
 * of the kernel command line as their parameters), mounts the payload disk, runs the
 * payload's `/krunbox-l1/run.sh` in a chroot and powers off. Progress goes to the console as
 * `krunbox-l1: <stage> ...` lines, which the host turns into timings. A watchdog powers the VM
 * off at `krunbox_deadline=<s>` even if the host side is gone.
 *
 * @since 0.1.0
 * @category constants
 */
export const L1_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mark() { echo "krunbox-l1: $* uptime=$(cut -d' ' -f1 /proc/uptime)"; }
stop() { mark "stop $1"; sync; poweroff -f; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mark userspace
deadline=0
for word in $(cat /proc/cmdline); do
  case "$word" in krunbox_deadline=*) deadline="\${word#*=}" ;; esac
done
if [ "$deadline" -gt 0 ]; then
  ( sleep "$deadline"; mark watchdog "$deadline"; sync; poweroff -f ) &
fi
for module in $(cat /modules/order); do
  # module.param=value words of the kernel command line, as modprobe would pass them
  params=""
  for word in $(cat /proc/cmdline); do
    case "$word" in "$module".*=*) params="$params \${word#"$module".}" ;; esac
  done
  insmod "/modules/$module.ko" $params || stop "insmod-failed:$module"
done
[ -c /dev/kvm ] || stop no-dev-kvm
mark kvm
mount -t ext4 -o noatime /dev/vda /payload || stop payload-mount-failed
for dir in proc sys dev; do mkdir -p "/payload/$dir"; mount -o bind "/$dir" "/payload/$dir"; done
mkdir -p /payload/dev/pts /payload/dev/shm
mount -t devpts devpts /payload/dev/pts
mount -t tmpfs shm /payload/dev/shm
mark payload
chroot /payload /bin/sh /krunbox-l1/run.sh
mark payload-exit "$?"
for dir in dev/shm dev/pts dev sys proc; do umount "/payload/$dir"; done
umount /payload || mount -o remount,ro /payload
sync
mark poweroff
poweroff -f
`

/**
 * Builds (or reuses) the L1 initramfs: a static busybox, the kernel's modules in load order and
 * {@link L1_INIT}. Cached under `<l1>/initramfs/<sha12>.cpio.gz`, keyed by its content.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ensureInitramfs = async (l1Dir: string, kernel: L1Kernel, busybox: string): Promise<string> => {
  const modules = await Promise.all(
    kernel.modules.map(async (path) => ({ name: moduleName(basename(path)), data: await readFile(path) }))
  )
  const entries: Array<CpioEntry> = [
    ...["bin", "dev", "proc", "sys", "payload", "modules"].map((path): CpioEntry => ({ type: "directory", path, mode: 0o755 })),
    { type: "file", path: "bin/busybox", mode: 0o755, data: await readFile(busybox) },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    ...modules.map(({ name, data }): CpioEntry => ({ type: "file", path: `modules/${name}.ko`, mode: 0o644, data })),
    { type: "file", path: "modules/order", mode: 0o644, data: Buffer.from(`${modules.map((m) => m.name).join("\n")}\n`) },
    { type: "file", path: "init", mode: 0o755, data: Buffer.from(L1_INIT) }
  ]
  const archive = writeCpio(entries)
  const key = createHash("sha256").update(archive).digest("hex").slice(0, 12)
  const dir = join(l1Dir, "initramfs")
  const target = join(dir, `${key}.cpio.gz`)
  const present = await stat(target).then(() => true, () => false)
  if (present) return target
  await mkdir(dir, { recursive: true })
  const partial = `${target}.${process.pid}.partial`
  await writeFile(partial, gzipSync(archive, { level: 1 }))
  await rename(partial, target)
  return target
}
