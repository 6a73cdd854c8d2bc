import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtemp, mkdir, readdir, readFile, rename, rm, stat, writeFile, copyFile } from "node:fs/promises"
import { basename, join } from "node:path"
import { isRoot, run, which } from "./Exec.js"
import { CommandFailed, KernelModuleMissing, KernelPackageUnavailable } from "./errors.js"

/**
 * The L1 kernel as cached under `<cache>/l1/kernel/<version>/`: the bzImage and the modules the
 * L1 loads, in load order (dependencies first).
 *
 * @since 0.1.0
 * @category models
 */
export interface L1Kernel {
  readonly dir: string
  readonly packageName: string
  readonly version: string
  /** `uname -r` of the kernel, e.g. `6.1.0-57-cloud-amd64`. */
  readonly release: string
  readonly debSha256: string
  /** The .deb it came from (re-extracted when {@link REQUIRED_MODULES} changes). */
  readonly deb: string
  /** The {@link REQUIRED_MODULES} it was extracted for. */
  readonly required: ReadonlyArray<string>
  readonly vmlinuz: string
  /** Absolute paths of the `.ko` files, in load order. */
  readonly modules: ReadonlyArray<string>
}

/**
 * The meta package that always depends on Debian's current cloud kernel.
 *
 * @since 0.1.0
 * @category constants
 */
export const KERNEL_META_PACKAGE = "linux-image-cloud-amd64"

/**
 * Modules the L1 needs: KVM for AMD (the emulated CPU is an AMD one with SVM), virtio-blk for
 * the payload disk and overlayfs (the SDK's layered rootfs). Their dependencies are added from
 * each module's own `depends=` field.
 *
 * @since 0.1.0
 * @category constants
 */
export const REQUIRED_MODULES: ReadonlyArray<string> = ["kvm_amd", "virtio_pci", "virtio_blk", "overlay"]

const MANIFEST = "kernel.json"

/**
 * A module's name from its file name: the kernel treats `-` and `_` alike (kvm-amd.ko registers
 * as kvm_amd), so names are kept with `_`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const moduleName = (fileName: string): string => fileName.replace(/\.ko(\.xz|\.zst|\.gz)?$/, "").replaceAll("-", "_")

/**
 * Reads the comma-separated `depends=` field of a module's `.modinfo` section.
 *
 * @since 0.1.0
 * @category parsing
 */
export const moduleDepends = (ko: Uint8Array): ReadonlyArray<string> => {
  const text = Buffer.from(ko).toString("latin1")
  const at = text.indexOf("\0depends=")
  if (at < 0) return []
  const end = text.indexOf("\0", at + 1)
  const value = text.slice(at + "\0depends=".length, end < 0 ? undefined : end)
  return value.split(",").map((name) => name.trim().replaceAll("-", "_")).filter((name) => name !== "")
}

/**
 * Orders modules so that each comes after its dependencies. Built-in modules are skipped;
 * a module that is neither built in nor present fails with {@link KernelModuleMissing}.
 *
 * @since 0.1.0
 * @category parsing
 */
export const loadOrder = (
  wanted: ReadonlyArray<string>,
  dependsOf: (name: string) => ReadonlyArray<string> | undefined,
  isBuiltin: (name: string) => boolean,
  searchedDir: string
): ReadonlyArray<string> => {
  const order: Array<string> = []
  const visiting = new Set<string>()
  const visit = (name: string): void => {
    if (order.includes(name) || visiting.has(name) || isBuiltin(name)) return
    const deps = dependsOf(name)
    if (deps === undefined) throw new KernelModuleMissing(name, searchedDir)
    visiting.add(name)
    deps.forEach(visit)
    visiting.delete(name)
    order.push(name)
  }
  wanted.forEach(visit)
  return order
}

/**
 * `Depends: a (= 1), b | c` → the first alternative's name and pinned version of the entry that
 * names a `linux-image-*` package.
 *
 * @since 0.1.0
 * @category parsing
 */
export const kernelDependency = (depends: string): { readonly name: string; readonly version: string | undefined } | undefined => {
  for (const clause of depends.split(",")) {
    const first = clause.split("|")[0]?.trim() ?? ""
    const match = /^(linux-image-[^\s(]+)\s*(?:\(\s*=\s*([^)\s]+)\s*\))?/.exec(first)
    if (match?.[1] !== undefined) return { name: match[1], version: match[2] }
  }
  return undefined
}

const walk = async (dir: string): Promise<Array<string>> => {
  const out: Array<string> = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(path)))
    else out.push(path)
  }
  return out
}

const sha256File = async (path: string): Promise<string> => createHash("sha256").update(await readFile(path)).digest("hex")

type CachedKernel =
  | { readonly _tag: "Current"; readonly kernel: L1Kernel }
  /** Extracted for another module set: re-extract from the same .deb, no download needed. */
  | { readonly _tag: "Outdated"; readonly deb: string }

const readManifest = async (dir: string): Promise<CachedKernel | undefined> => {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Omit<L1Kernel, "dir" | "vmlinuz" | "modules"> & {
      readonly modules: ReadonlyArray<string>
    }
    const kernel: L1Kernel = {
      ...parsed,
      dir,
      vmlinuz: join(dir, "vmlinuz"),
      modules: parsed.modules.map((name) => join(dir, "modules", `${name}.ko`))
    }
    await Promise.all([kernel.vmlinuz, ...kernel.modules].map((path) => stat(path)))
    const current = kernel.required.length === REQUIRED_MODULES.length && REQUIRED_MODULES.every((name) => kernel.required.includes(name))
    if (current) return { _tag: "Current", kernel }
    return (await stat(kernel.deb).then(() => true, () => false)) ? { _tag: "Outdated", deb: kernel.deb } : undefined
  } catch {
    return undefined
  }
}

const aptGet = (args: ReadonlyArray<string>, cwd: string) =>
  run("apt-get", [...(isRoot() ? ["-o", "APT::Sandbox::User=root"] : []), ...args], {
    cwd,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    hint: "check that apt can reach Debian's archive"
  })

/** `apt-get download`, with one `apt-get update` (root only) when apt does not know the package. */
const aptDownload = async (spec: string, debsDir: string, log: (line: string) => void): Promise<string> => {
  const before = new Set(await readdir(debsDir))
  try {
    await aptGet(["download", spec], debsDir)
  } catch (error) {
    if (!(error instanceof CommandFailed) || !isRoot()) throw new KernelPackageUnavailable(spec, error instanceof Error ? error.message : String(error))
    log(`apt-get does not know ${spec}; running apt-get update once`)
    await aptGet(["update"], debsDir)
    try {
      await aptGet(["download", spec], debsDir)
    } catch (retry) {
      throw new KernelPackageUnavailable(spec, retry instanceof Error ? retry.message : String(retry))
    }
  }
  const name = spec.split("=")[0] ?? spec
  const fresh = (await readdir(debsDir)).filter((file) => file.startsWith(`${name}_`) && file.endsWith(".deb"))
  const added = fresh.find((file) => !before.has(file)) ?? fresh.sort().at(-1)
  if (added === undefined) throw new KernelPackageUnavailable(spec, `apt-get download left no ${name}_*.deb in ${debsDir}`)
  return join(debsDir, added)
}

const debField = async (deb: string, field: string): Promise<string> =>
  (await run("dpkg-deb", ["-f", deb, field], { hint: "dpkg-deb (Debian's dpkg) reads the .deb's control fields" })).stdout.trim()

/** Resolves the meta package to the concrete kernel .deb in the cache, downloading as needed. */
const downloadKernelDeb = async (debsDir: string, log: (line: string) => void): Promise<string> => {
  if ((await which("apt-get")) === undefined) {
    throw new KernelPackageUnavailable(KERNEL_META_PACKAGE, "apt-get is not available on this host")
  }
  log(`resolving ${KERNEL_META_PACKAGE} with apt-get`)
  const meta = await aptDownload(KERNEL_META_PACKAGE, debsDir, log)
  const dependency = kernelDependency(await debField(meta, "Depends"))
  if (dependency === undefined) throw new KernelPackageUnavailable(KERNEL_META_PACKAGE, `${basename(meta)} names no linux-image-* dependency`)
  const spec = dependency.version === undefined ? dependency.name : `${dependency.name}=${dependency.version}`
  log(`downloading ${spec}`)
  return aptDownload(spec, debsDir, log)
}

const decompressModule = async (source: string, target: string): Promise<void> => {
  if (source.endsWith(".ko")) return copyFile(source, target)
  const tool = source.endsWith(".xz") ? "xz" : source.endsWith(".zst") ? "zstd" : "gzip"
  // busybox insmod hands the bytes to init_module(2), which wants an uncompressed module
  const data = await new Promise<Buffer>((resolve, reject) =>
    execFile(tool, ["-dc", source], { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 }, (error, stdout) =>
      error === null ? resolve(stdout) : reject(new CommandFailed(tool, ["-dc", source], error.code === undefined ? null : Number(error.code), error.message, `install ${tool} to unpack compressed kernel modules`))
    )
  )
  await writeFile(target, data)
}

/** Unpacks vmlinuz and the needed modules from a kernel .deb into `<kernelRoot>/<version>/`. */
const extractKernel = async (deb: string, kernelRoot: string, log: (line: string) => void): Promise<L1Kernel> => {
  const packageName = await debField(deb, "Package")
  const version = await debField(deb, "Version")
  const dir = join(kernelRoot, version)
  const unpack = await mkdtemp(join(kernelRoot, ".unpack-"))
  const staging = await mkdtemp(join(kernelRoot, ".staging-"))
  try {
    log(`unpacking ${basename(deb)}`)
    await run("dpkg-deb", ["-x", deb, unpack], { hint: "dpkg-deb (Debian's dpkg) unpacks the kernel package" })
    const bootFiles = await readdir(join(unpack, "boot")).catch(() => [] as Array<string>)
    const vmlinuz = bootFiles.find((file) => file.startsWith("vmlinuz-"))
    if (vmlinuz === undefined) throw new KernelPackageUnavailable(packageName, `${basename(deb)} has no boot/vmlinuz-*`)
    const release = vmlinuz.slice("vmlinuz-".length)
    const modulesRoot = join(unpack, "lib", "modules", release)
    const files = await walk(join(modulesRoot, "kernel")).catch(() => [] as Array<string>)
    const byName = new Map(files.filter((file) => /\.ko(\.xz|\.zst|\.gz)?$/.test(file)).map((file) => [moduleName(basename(file)), file]))
    const builtin = new Set(
      (await readFile(join(modulesRoot, "modules.builtin"), "utf8").catch(() => ""))
        .split("\n")
        .map((line) => moduleName(basename(line.trim())))
    )
    await mkdir(join(staging, "modules"))
    // Unpack only the required modules and what their `depends=` fields pull in.
    const dependsOf = new Map<string, ReadonlyArray<string>>()
    const unpackModule = async (name: string): Promise<void> => {
      if (dependsOf.has(name) || builtin.has(name)) return
      const file = byName.get(name)
      if (file === undefined) throw new KernelModuleMissing(name, join(modulesRoot, "kernel"))
      const target = join(staging, "modules", `${name}.ko`)
      await decompressModule(file, target)
      const deps = moduleDepends(await readFile(target))
      dependsOf.set(name, deps)
      for (const dep of deps) await unpackModule(dep)
    }
    for (const name of REQUIRED_MODULES) await unpackModule(name)
    const order = loadOrder(REQUIRED_MODULES, (name) => dependsOf.get(name), (name) => builtin.has(name), join(modulesRoot, "kernel"))
    await copyFile(join(unpack, "boot", vmlinuz), join(staging, "vmlinuz"))
    const manifest = { packageName, version, release, debSha256: await sha256File(deb), deb, required: REQUIRED_MODULES, modules: order }
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
    await rm(dir, { recursive: true, force: true })
    // A concurrent harness may have put the same kernel in place first: then keep theirs.
    await rename(staging, dir).catch(() => undefined)
    const cached = await readManifest(dir)
    const kernel = cached?._tag === "Current" ? cached.kernel : undefined
    if (kernel === undefined) throw new KernelPackageUnavailable(packageName, `could not read back ${join(dir, MANIFEST)}`)
    return kernel
  } finally {
    await rm(unpack, { recursive: true, force: true })
    await rm(staging, { recursive: true, force: true })
  }
}

/**
 * Options for {@link ensureKernel}.
 *
 * @since 0.1.0
 * @category models
 */
export interface EnsureKernelOptions {
  readonly l1Dir: string
  /** Resolve the meta package again even when a kernel is cached. */
  readonly refresh: boolean
  /** A kernel .deb to use instead of asking apt (KRUNBOX_L1_KERNEL_DEB). */
  readonly deb: string | undefined
  readonly log: (line: string) => void
}

/**
 * The cached L1 kernel, or a freshly downloaded and unpacked one. The first kernel cached stays
 * in use until `refresh` is set, so runs are reproducible and need no network.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ensureKernel = async (options: EnsureKernelOptions): Promise<L1Kernel> => {
  const kernelRoot = join(options.l1Dir, "kernel")
  const debsDir = join(options.l1Dir, "debs")
  await mkdir(kernelRoot, { recursive: true })
  await mkdir(debsDir, { recursive: true })
  const cachedOrExtract = async (deb: string, version: string): Promise<L1Kernel> => {
    const cached = await readManifest(join(kernelRoot, version))
    return cached?._tag === "Current" ? cached.kernel : extractKernel(deb, kernelRoot, options.log)
  }
  if (options.deb !== undefined) return cachedOrExtract(options.deb, await debField(options.deb, "Version"))
  if (!options.refresh) {
    const versions = (await readdir(kernelRoot)).filter((name) => !name.startsWith(".")).sort()
    for (const version of versions.reverse()) {
      const cached = await readManifest(join(kernelRoot, version))
      if (cached?._tag === "Current") return cached.kernel
      if (cached?._tag === "Outdated") return extractKernel(cached.deb, kernelRoot, options.log)
    }
  }
  const deb = await downloadKernelDeb(debsDir, options.log)
  const version = await debField(deb, "Version")
  return options.refresh ? extractKernel(deb, kernelRoot, options.log) : cachedOrExtract(deb, version)
}
