import { copyFile, link, lstat, mkdir, readdir, readFile, readlink, realpath, rm, stat, symlink, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { run } from "./Exec.js"
import { HEARTBEAT_SECONDS, PROGRESS_REPORTER, PROGRESS_REPORTER_SOURCE } from "./Progress.js"
import { MARKER_PREFIX } from "./Qemu.js"
import { ResultsMissing, RuntimeNotSetUp } from "./errors.js"

/**
 * One command the L1 runs, in order, from `cwd`. When `resultsFile` is set the step is expected
 * to leave a vitest JSON report there (a path inside the L1).
 *
 * @since 0.1.0
 * @category models
 */
export interface PayloadStep {
  readonly name: string
  readonly cwd: string
  /** argv; run directly (not through a shell) unless `shell` is set. */
  readonly command: ReadonlyArray<string>
  readonly shell: boolean
  readonly resultsFile: string | undefined
}

/**
 * What goes into the L1's disk. Every host path keeps its absolute path inside the L1, so the
 * checkout, node and krunbox's cache are found exactly where the host has them.
 *
 * @since 0.1.0
 * @category models
 */
export interface PayloadSpec {
  readonly checkoutRoot: string
  readonly cacheDir: string
  readonly nodeBinary: string
  readonly busybox: string
  readonly env: Readonly<Record<string, string>>
  readonly steps: ReadonlyArray<PayloadStep>
}

/**
 * Where the L1's results live inside the L1 disk.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESULTS_DIR = "/krunbox-l1/results"

/** Directories of the checkout that the L1 never needs (history, caches, the host toolchain). */
const CHECKOUT_EXCLUDES: ReadonlySet<string> = new Set([".git", ".turbo", "coverage", ".krunbox-tmp"])
const CHECKOUT_ROOT_EXCLUDES: ReadonlySet<string> = new Set([".toolchain"])

/** Hard-links when possible (same file system: no copy), copies otherwise. */
const linkOrCopy = async (source: string, target: string): Promise<void> => {
  try {
    await link(source, target)
  } catch {
    await copyFile(source, target)
  }
}

/** Replicates `source` at `root + source` (files, dirs, symlinks as symlinks). */
const stageTree = async (root: string, source: string, exclude: (path: string, name: string) => boolean): Promise<number> => {
  const target = join(root, source)
  const info = await lstat(source)
  await mkdir(dirname(target), { recursive: true })
  if (info.isSymbolicLink()) {
    // a path staged twice (e.g. a runtime file inside the checkout) keeps its first link
    await symlink(await readlink(source), target).catch(() => undefined)
    return 0
  }
  if (info.isFile()) {
    await linkOrCopy(source, target)
    return info.size
  }
  if (!info.isDirectory()) return 0
  await mkdir(target, { recursive: true, mode: info.mode & 0o7777 })
  let bytes = 0
  for (const name of await readdir(source)) {
    const child = join(source, name)
    if (exclude(child, name)) continue
    bytes += await stageTree(root, child, exclude)
  }
  return bytes
}

/** A path and, when it is a symlink, what it finally points to: both must exist in the L1. */
const stagePathAndTarget = async (root: string, path: string): Promise<number> => {
  let bytes = await stageTree(root, path, () => false)
  const real = await realpath(path)
  if (real !== path) bytes += await stageTree(root, real, () => false)
  return bytes
}

/**
 * Shared libraries `ldd` names for the given ELF files (the dynamic loader included).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseLdd = (output: string): ReadonlyArray<string> => {
  const libs = new Set<string>()
  for (const line of output.split("\n")) {
    const arrow = /=>\s*(\/\S+)/.exec(line)
    const bare = /^\s*(\/\S+)\s+\(0x/.exec(line)
    const path = arrow?.[1] ?? bare?.[1]
    if (path !== undefined) libs.add(path)
  }
  return [...libs]
}

const lddClosure = async (files: ReadonlyArray<string>): Promise<ReadonlyArray<string>> => {
  const libs = new Set<string>()
  for (const file of files) {
    // ldd fails on static binaries and on foreign (musl) objects; both need nothing from the host
    const output = await run("ldd", [file], { hint: "ldd (libc-bin) lists the libraries node and libkrun need" }).then(
      ({ stdout }) => stdout,
      () => ""
    )
    parseLdd(output).forEach((lib) => libs.add(lib))
  }
  return [...libs]
}

const findFiles = async (dir: string, match: (name: string) => boolean, skip: (name: string) => boolean): Promise<Array<string>> => {
  const out: Array<string> = []
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    if (skip(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await findFiles(path, match, skip)))
    else if (entry.isFile() && match(entry.name)) out.push(path)
  }
  return out
}

interface RuntimeManifestPaths {
  readonly paths: ReadonlyArray<string>
}

/** Reads the host's runtime.json and the paths it names (libkrun, libkrunfw, init, rootfs). */
const runtimePaths = async (cacheDir: string): Promise<RuntimeManifestPaths> => {
  const manifestPath = join(cacheDir, "runtime.json")
  let manifest: Record<string, unknown>
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Record<string, unknown>
  } catch (error) {
    throw new RuntimeNotSetUp(manifestPath, error instanceof Error ? error.message : String(error))
  }
  const paths: Array<string> = [manifestPath]
  for (const key of ["libkrun", "libkrunfw", "init", "rootfs"]) {
    const entry = manifest[key] as { readonly path?: unknown } | undefined
    if (typeof entry?.path !== "string") throw new RuntimeNotSetUp(manifestPath, `"${key}.path" is missing`)
    await stat(entry.path).catch(() => {
      throw new RuntimeNotSetUp(manifestPath, `"${key}.path" names ${entry.path as string}, which does not exist`)
    })
    paths.push(entry.path)
  }
  return { paths }
}

const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

/**
 * The payload's `/krunbox-l1/run.sh`: sets the environment, then runs each step, marking its
 * start and end (with its exit status) on the console.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runScript = (spec: Pick<PayloadSpec, "env" | "steps" | "busybox">): string => {
  const lines = [
    "#!/bin/sh",
    "/bin/busybox --install -s /bin",
    `mark() { echo "${MARKER_PREFIX} $* uptime=$(cut -d' ' -f1 /proc/uptime)"; }`,
    ...Object.entries(spec.env).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
    "ulimit -n 65536 2>/dev/null",
    `mkdir -p ${RESULTS_DIR}`,
    // the host's progress monitor reads this as "L1 userspace still runs"
    `( while sleep ${HEARTBEAT_SECONDS}; do mark heartbeat; done ) &`,
    "heartbeat=$!"
  ]
  for (const step of spec.steps) {
    const command = step.shell ? step.command.join(" ") : step.command.map(shellQuote).join(" ")
    lines.push(
      `mark step-start ${shellQuote(step.name)}`,
      `( cd ${shellQuote(step.cwd)} && ${command} )`,
      `mark step-exit ${shellQuote(step.name)} "$?"`
    )
  }
  lines.push('kill "$heartbeat"')
  return `${lines.join("\n")}\n`
}

/**
 * A built payload disk and how to read results back from it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  readonly image: string
  readonly stagedBytes: number
}

/**
 * Builds the L1's ext4 disk image in `runDir`: a staging tree of hard links (checkout, node and its
 * libraries, the runtime from krunbox's cache, busybox, a minimal /etc), turned into an image with
 * `mke2fs -d`. The staging tree is removed afterwards; the image stays until the run ends.
 *
 * @since 0.1.0
 * @category constructors
 */
export const buildPayload = async (runDir: string, spec: PayloadSpec): Promise<Payload> => {
  const root = join(runDir, "root")
  await mkdir(root, { recursive: true })
  try {
    let bytes = 0
    bytes += await stageTree(root, spec.checkoutRoot, (path, name) =>
      CHECKOUT_EXCLUDES.has(name) || (dirname(path) === spec.checkoutRoot && CHECKOUT_ROOT_EXCLUDES.has(name))
    )
    const runtime = await runtimePaths(spec.cacheDir)
    for (const path of runtime.paths) bytes += await stagePathAndTarget(root, path)
    bytes += await stagePathAndTarget(root, spec.nodeBinary)
    const nativeAddons = await findFiles(
      spec.checkoutRoot,
      (name) => name.endsWith(".node") || /\.so(\.\d+)*$/.test(name),
      // musl builds of addons (koffi ships one) never load on this glibc userspace
      (name) => CHECKOUT_EXCLUDES.has(name) || name.includes("musl")
    )
    const elfs = [spec.nodeBinary, ...runtime.paths.filter((path) => /\.so(\.\d+)*$/.test(path)), ...nativeAddons]
    for (const lib of await lddClosure(elfs)) {
      await mkdir(join(root, dirname(lib)), { recursive: true })
      await copyFile(lib, join(root, lib))
      bytes += (await stat(lib)).size
    }
    for (const dir of ["bin", "proc", "sys", "dev", "root", "etc", "krunbox-l1/results"]) await mkdir(join(root, dir), { recursive: true })
    await mkdir(join(root, "tmp"), { recursive: true, mode: 0o1777 })
    await copyFile(spec.busybox, join(root, "bin", "busybox"))
    await symlink("busybox", join(root, "bin", "sh"))
    await writeFile(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n")
    await writeFile(join(root, "etc", "group"), "root:x:0:\n")
    await writeFile(join(root, "etc", "hosts"), "127.0.0.1 localhost\n::1 localhost\n")
    await writeFile(join(root, "krunbox-l1", "run.sh"), runScript(spec), { mode: 0o755 })
    await writeFile(join(root, PROGRESS_REPORTER), PROGRESS_REPORTER_SOURCE)
    const image = join(runDir, "payload.img")
    // Room for what the tests write (temp dirs, vitest's cache) on top of what is staged.
    const sizeMib = Math.ceil((bytes * 1.3) / 1024 / 1024) + 1024
    await run(
      "mke2fs",
      ["-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-L", "krunbox-l1", "-E", "root_owner=0:0", "-d", root, image, `${sizeMib}M`],
      { hint: "mke2fs (e2fsprogs) builds the L1's disk; install e2fsprogs" }
    )
    return { image, stagedBytes: bytes }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * Copies a file out of the (no longer running) L1's disk with `debugfs`, and returns its text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readFromImage = async (image: string, pathInImage: string, hostTarget: string): Promise<string> => {
  await rm(hostTarget, { force: true })
  const { stderr } = await run("debugfs", ["-R", `dump ${pathInImage} ${hostTarget}`, image], {
    hint: "debugfs (e2fsprogs) reads results back from the L1's disk"
  })
  try {
    return await readFile(hostTarget, "utf8")
  } catch {
    throw new ResultsMissing(pathInImage, stderr.trim() === "" ? "debugfs found nothing" : stderr.trim())
  }
}
