/**
 * Pulling from a real registry (Debian's docker-registry on loopback) filled with skopeo.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { ImageStore, type PullEvent } from "../src/index.js"
import { bigImage, buildLayout, type BuiltLayout, busyboxAmd64, busyboxPath, type CuttingProxy, errorOf, fakeArm64, freePort, gnuLongName, isRoot, makeTempDir, opaqueSwapImage, paxLongName, prerequisite, pushLayout, registrySkipReason, removeDir, type RunningRegistry, smallImage, snapshotTree, startCuttingProxy, startRegistry, writeTar } from "@krunbox/testing"

const skipReason = registrySkipReason()
const needs = prerequisite(skipReason)
const asRoot = prerequisite(isRoot ? "" : "needs root")

describe.skipIf(needs.skip)(needs.title("pull from a loopback registry"), () => {
  beforeAll(needs.check)
  let work: string
  let registry: RunningRegistry
  let busybox: BuiltLayout
  let big: BuiltLayout
  let tampered: BuiltLayout
  let hostDir: string
  let hostParent: string
  const bigMegabytes = 6

  beforeAll(async () => {
    work = makeTempDir("pull")
    try {
      registry = await startRegistry(path.join(work, "registry"))
      busybox = buildLayout(path.join(work, "layout-busybox"), "latest", [busyboxAmd64(), fakeArm64()])
      big = buildLayout(path.join(work, "layout-big"), "latest", [bigImage(bigMegabytes)])
      tampered = buildLayout(path.join(work, "layout-tampered"), "latest", [smallImage("tampered")])
      hostDir = path.join(work, "host-dir")
      hostParent = path.join(work, "host-parent")
      fs.mkdirSync(path.join(hostParent, "d"), { recursive: true })
      fs.mkdirSync(hostDir)
      fs.writeFileSync(path.join(hostDir, "precious.txt"), "host data\n")
      fs.writeFileSync(path.join(hostParent, "d", "precious.txt"), "host data\n")
      const opaqueSwap = buildLayout(path.join(work, "layout-opaque-swap"), "latest", [opaqueSwapImage(hostDir, hostParent)])
      await Promise.all([
        pushLayout(opaqueSwap.dir, "latest", `${registry.host}/opaque-swap:latest`),
        pushLayout(busybox.dir, "latest", `${registry.host}/busybox:latest`),
        pushLayout(big.dir, "latest", `${registry.host}/big:latest`),
        pushLayout(tampered.dir, "latest", `${registry.host}/tampered:latest`)
      ])
    } catch (error) {
      await registry?.stop()
      removeDir(work)
      throw error
    }
  })

  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
  })

  const freshStore = (label: string) => ImageStore.open({ cacheDir: makeTempDir(`cache-${label}`), dockerConfigPath: "/nonexistent" })
  const cacheOf = (store: ImageStore) => path.dirname(store.root)

  describe("busybox with several layers", () => {
    let store: ImageStore
    let base: string
    const events: Array<PullEvent> = []

    beforeAll(async () => {
      store = freshStore("busybox")
      const image = await store.pull(`${registry.host}/busybox:latest`, { onProgress: (event) => events.push(event) })
      base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
    })
    afterAll(() => removeDir(cacheOf(store)))

    it("records the host platform's manifest from the two-platform index", () => {
      const [image] = store.list()
      expect(image?.reference).toBe(`${registry.host}/busybox:latest`)
      expect(image?.platform).toBe("linux/amd64")
      expect(image?.manifestDigest).toBe(busybox.images[0]!.manifestDigest)
      expect(image?.indexDigest).toBe(busybox.indexDigest)
      expect(image?.layers.map((l) => l.digest)).toEqual(busybox.images[0]!.layers.map((l) => l.digest))
    })

    it("stores every blob under its verified digest and leaves no partial download", () => {
      const blobs = fs.readdirSync(path.join(store.root, "blobs", "sha256"))
      for (const layer of busybox.images[0]!.layers) expect(blobs).toContain(layer.digest.slice(7))
      expect(blobs).toContain(busybox.images[0]!.configDigest.slice(7))
      expect(blobs).not.toContain(busybox.images[1]!.layers[0]!.digest.slice(7)) // the arm64 layer is not fetched
      expect(fs.readdirSync(path.join(store.root, "partial")).filter((n) => !n.endsWith(".lock"))).toEqual([])
    })

    it("reports progress: resolved, every layer done, unpacking each layer, done", () => {
      expect(events[0]?.type).toBe("resolving")
      const resolved = events.find((e) => e.type === "resolved")
      expect(resolved).toMatchObject({ platform: "linux/amd64" })
      for (const layer of busybox.images[0]!.layers) {
        expect(events.some((e) => e.type === "layer" && e.digest === layer.digest && e.status === "done")).toBe(true)
      }
      expect(events.filter((e) => e.type === "unpacking").length).toBe(4)
      expect(events.at(-1)?.type).toBe("done")
    })

    it("unpacks busybox byte for byte with its mode", () => {
      const unpacked = path.join(base, "bin", "busybox")
      expect(fs.readFileSync(unpacked).equals(fs.readFileSync(busyboxPath))).toBe(true)
      expect(fs.statSync(unpacked).mode & 0o7777).toBe(0o755)
    })

    it("keeps symlinks as symlinks, absolute targets untouched", () => {
      expect(fs.readlinkSync(path.join(base, "bin", "sh"))).toBe("busybox")
      expect(fs.readlinkSync(path.join(base, "links", "absolute"))).toBe("/etc/passwd")
      expect(fs.readlinkSync(path.join(base, "links", "dangling"))).toBe("/does/not/exist")
    })

    it("turns a hardlink entry into a second name of the same inode", () => {
      const original = fs.statSync(path.join(base, "bin", "busybox"))
      const link = fs.statSync(path.join(base, "bin", "busybox-hardlink"))
      expect(link.ino).toBe(original.ino)
      expect(original.nlink).toBe(2)
    })

    it("applies whiteouts to files and whole directories of lower layers", () => {
      expect(fs.existsSync(path.join(base, "gone.txt"))).toBe(false)
      expect(fs.existsSync(path.join(base, "gone-dir"))).toBe(false)
      expect(fs.readFileSync(path.join(base, "kept", "stays.txt"), "utf8")).toBe("untouched by later layers\n")
    })

    it("empties an opaque directory of lower content but keeps the same layer's entries", () => {
      expect(fs.readdirSync(path.join(base, "opaque")).sort()).toEqual(["new.txt"])
      expect(fs.existsSync(path.join(base, "opaque", ".wh..wh..opq"))).toBe(false)
    })

    it("lets a later layer replace a file", () => {
      expect(fs.readFileSync(path.join(base, "replaced.txt"), "utf8")).toBe("version 2\n")
    })

    it("reads pax and GNU long names", () => {
      expect(fs.readFileSync(path.join(base, paxLongName), "utf8")).toBe("named through a pax path record\n")
      expect(fs.readFileSync(path.join(base, gnuLongName), "utf8")).toBe("named through a GNU long name\n")
    })

    it("preserves setuid, directory modes, the sticky bit and mtimes", () => {
      expect(fs.statSync(path.join(base, "usr", "local", "bin", "setuid-app")).mode & 0o7777).toBe(0o4755)
      expect(fs.statSync(path.join(base, "private")).mode & 0o7777).toBe(0o700)
      expect(fs.statSync(path.join(base, "tmp")).mode & 0o7777).toBe(0o1777)
      expect(fs.statSync(path.join(base, "mtime.txt")).mtimeMs).toBe(1_000_000_000_000)
    })

    it.skipIf(asRoot.skip)(asRoot.title("preserves ownership when running as root"), () => {
      asRoot.check()
      const setuid = fs.statSync(path.join(base, "usr", "local", "bin", "setuid-app"))
      expect([setuid.uid, setuid.gid]).toEqual([1000, 1000])
      expect(fs.statSync(path.join(base, "private", "secret.txt")).uid).toBe(1000)
      expect(fs.statSync(path.join(base, "bin", "busybox")).uid).toBe(0)
    })

    it("keeps the store's folder private (0700): bases hold the image's setuid and private files", () => {
      expect(fs.statSync(store.root).mode & 0o777).toBe(0o700)
    })

    it("keeps modes that leave even the owner out (0000) in the base as root, and in a copy", async () => {
      expect(fs.statSync(path.join(base, "unreadable.txt")).mode & 0o7777).toBe(isRoot ? 0o000 : 0o400)
      expect(fs.statSync(path.join(base, "noaccess")).mode & 0o7777).toBe(isRoot ? 0o000 : 0o500)
      await using run = await store.prepareRootfs(`${registry.host}/busybox:latest`, { strategy: "copy", pull: "never" })
      for (const name of ["unreadable.txt", "unreadable-link", "noaccess"]) {
        expect(fs.statSync(path.join(run.rootfsDir, name)).mode & 0o7777).toBe(0o000)
      }
      expect(fs.statSync(path.join(run.rootfsDir, "unreadable.txt")).ino).toBe(fs.statSync(path.join(run.rootfsDir, "unreadable-link")).ino)
    })

    it("does not create device nodes (the engines provide /dev)", () => {
      expect(fs.existsSync(path.join(base, "dev", "null"))).toBe(false)
    })

    it("exposes the image config for the run", () => {
      expect(store.config(`${registry.host}/busybox:latest`)).toEqual({
        env: ["PATH=/usr/local/bin:/bin", "GREETING=hello"],
        workingDir: "/home/app",
        entrypoint: [],
        cmd: ["/bin/sh"],
        user: "app"
      })
    })

    it("finds the image by its manifest digest and by its index digest", () => {
      expect(store.find(`${registry.host}/busybox@${busybox.images[0]!.manifestDigest}`)?.reference).toBe(`${registry.host}/busybox:latest`)
      expect(store.find(`${registry.host}/busybox@${busybox.indexDigest!}`)?.reference).toBe(`${registry.host}/busybox:latest`)
    })

    it("a second pull downloads nothing", async () => {
      const again: Array<PullEvent> = []
      await store.pull(`${registry.host}/busybox:latest`, { onProgress: (e) => again.push(e) })
      const statuses = again.filter((e) => e.type === "layer" && e.status !== "waiting").map((e) => (e as { status: string }).status)
      expect(new Set(statuses)).toEqual(new Set(["cached"]))
      expect(again.some((e) => e.type === "unpacking")).toBe(false)
    })

    describe("per-run root file systems", () => {
      const strategies = isRoot ? (["copy", "overlay"] as const) : (["copy"] as const)
      for (const strategy of strategies) {
        it(`${strategy}: writes in the run never reach the cached base or blobs`, async () => {
          const before = snapshotTree(base)
          const blobsBefore = snapshotTree(path.join(store.root, "blobs"))
          const run = await store.prepareRootfs(`${registry.host}/busybox:latest`, { strategy, pull: "never" })
          expect(run.strategy).toBe(strategy)
          expect(run.rootfsDir).not.toBe(base)
          fs.writeFileSync(path.join(run.rootfsDir, "bin", "busybox"), "clobbered")
          fs.appendFileSync(path.join(run.rootfsDir, "kept", "stays.txt"), "appended")
          fs.rmSync(path.join(run.rootfsDir, "replaced.txt"))
          fs.chmodSync(path.join(run.rootfsDir, "bin", "busybox-hardlink"), 0o700)
          fs.writeFileSync(path.join(run.rootfsDir, "new-file"), "new")
          expect(fs.readFileSync(path.join(run.rootfsDir, "kept", "stays.txt"), "utf8")).toContain("appended")
          await run.dispose()
          expect(fs.existsSync(run.rootfsDir)).toBe(false)
          expect(snapshotTree(base)).toEqual(before)
          expect(snapshotTree(path.join(store.root, "blobs"))).toEqual(blobsBefore)
        })
      }

      it.skipIf(asRoot.skip)(asRoot.title("overlay: the mount is gone after dispose"), async () => {
        asRoot.check()
        const run = await store.prepareRootfs(`${registry.host}/busybox:latest`, { strategy: "overlay", pull: "never" })
        expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).toContain(run.rootfsDir)
        await run.dispose()
        expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(run.rootfsDir)
      })

      it("auto picks overlay as root and copy otherwise", async () => {
        await using run = await store.prepareRootfs(`${registry.host}/busybox:latest`, { pull: "never" })
        expect(run.strategy).toBe(isRoot ? "overlay" : "copy")
      })

      it("prune removes the run directory of a process that died", async () => {
        const run = await store.prepareRootfs(`${registry.host}/busybox:latest`, { strategy: "copy", pull: "never" })
        const runDir = path.dirname(run.rootfsDir)
        const ownerFile = path.join(runDir, "owner.json")
        const owner = JSON.parse(fs.readFileSync(ownerFile, "utf8")) as Record<string, unknown>
        const deadPid = Number(execFileSync("sh", ["-c", "sh -c 'echo $$'"], { encoding: "utf8" }).trim())
        fs.writeFileSync(ownerFile, JSON.stringify({ ...owner, pid: deadPid }))
        const result = await store.prune()
        expect(result.staleRuns).toBe(1)
        expect(fs.existsSync(runDir)).toBe(false)
        expect(store.list().length).toBe(1)
        await run.dispose()
      })
    })
  })

  it("pulls the issue's opaque-then-symlink image without touching the host directories it points at", async () => {
    const hostBefore = [snapshotTree(hostDir), snapshotTree(hostParent)]
    const store = freshStore("opaque-swap")
    try {
      const image = await store.pull(`${registry.host}/opaque-swap:latest`)
      const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
      expect(fs.readlinkSync(path.join(base, "d"))).toBe(hostDir)
      expect(fs.readlinkSync(path.join(base, "p"))).toBe(hostParent)
      for (const strategy of isRoot ? (["copy", "overlay"] as const) : (["copy"] as const)) {
        const run = await store.prepareRootfs(`${registry.host}/opaque-swap:latest`, { strategy, pull: "never" })
        await run.dispose()
      }
      expect([snapshotTree(hostDir), snapshotTree(hostParent)]).toEqual(hostBefore)
      expect(fs.readFileSync(path.join(hostDir, "precious.txt"), "utf8")).toBe("host data\n")
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("narrows a store folder made earlier with wider permissions to 0700", async () => {
    const cacheDir = makeTempDir("cache-wide")
    fs.mkdirSync(path.join(cacheDir, "images"), { mode: 0o755 })
    fs.chmodSync(path.join(cacheDir, "images"), 0o755)
    const store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
    try {
      await store.pull(`${registry.host}/tampered:latest`, { unpack: false })
      expect(fs.statSync(store.root).mode & 0o777).toBe(0o700)
    } finally {
      removeDir(cacheDir)
    }
  })

  it("pulls through a localhost:PORT reference over plain HTTP, as the CLI's done criterion names it", async () => {
    const store = freshStore("localhost")
    try {
      const image = await store.pull(`localhost:${registry.port}/busybox:latest`, { unpack: false })
      expect(image.reference).toBe(`localhost:${registry.port}/busybox:latest`)
      expect(image.manifestDigest).toBe(busybox.images[0]!.manifestDigest)
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("picks another platform on request", async () => {
    const store = freshStore("arm64")
    try {
      const image = await store.pull(`${registry.host}/busybox:latest`, { platform: "linux/arm64" })
      expect(image.platform).toBe("linux/arm64/v8")
      expect(image.manifestDigest).toBe(busybox.images[1]!.manifestDigest)
      const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
      expect(fs.readFileSync(path.join(base, "platform.txt"), "utf8")).toBe("linux/arm64\n")
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("fails with NoMatchingPlatform listing what the index offers", async () => {
    const store = freshStore("s390x")
    try {
      const error = await errorOf(store.pull(`${registry.host}/busybox:latest`, { platform: "linux/s390x" }))
      expect(error).toMatchObject({ _tag: "NoMatchingPlatform", wanted: "linux/s390x", available: ["linux/amd64", "linux/arm64/v8"] })
      expect(store.list()).toEqual([])
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("fails with ImageNotFound for an unknown repository and an unknown tag", async () => {
    const store = freshStore("unknown")
    try {
      const repo = await errorOf(store.pull(`${registry.host}/does-not-exist:latest`))
      expect(repo).toMatchObject({ _tag: "ImageNotFound", registry: registry.host })
      expect(String(repo.message)).toContain("MANIFEST_UNKNOWN")
      const tag = await errorOf(store.pull(`${registry.host}/busybox:no-such-tag`))
      expect(tag).toMatchObject({ _tag: "ImageNotFound" })
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("fails with RegistryUnreachable when nothing listens", async () => {
    const store = freshStore("unreachable")
    try {
      const port = await freePort()
      const error = await errorOf(store.pull(`127.0.0.1:${port}/busybox:latest`))
      expect(error).toMatchObject({ _tag: "RegistryUnreachable", registry: `127.0.0.1:${port}` })
      expect(String(error.detail)).toContain("ECONNREFUSED")
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("fails with DigestMismatch for a layer tampered in the registry's storage and keeps nothing of it", async () => {
    const layer = tampered.images[0]!.layers[0]!
    const dataPath = registry.blobDataPath(layer.digest)
    const original = fs.readFileSync(dataPath)
    const corrupted = Buffer.from(original)
    corrupted[corrupted.length - 20] = corrupted[corrupted.length - 20]! ^ 0xff
    fs.writeFileSync(dataPath, corrupted)
    const store = freshStore("tampered")
    try {
      const error = await errorOf(store.pull(`${registry.host}/tampered:latest`))
      expect(error).toMatchObject({ _tag: "DigestMismatch", expected: layer.digest, what: "blob" })
      expect(fs.existsSync(path.join(store.root, "blobs", "sha256", layer.digest.slice(7)))).toBe(false)
      expect(fs.readdirSync(path.join(store.root, "partial")).filter((n) => !n.endsWith(".lock"))).toEqual([])
      expect(store.list()).toEqual([])
    } finally {
      fs.writeFileSync(dataPath, original)
      removeDir(cacheOf(store))
    }
  })

  describe("interrupted downloads", () => {
    let proxy: CuttingProxy
    beforeAll(async () => {
      proxy = await startCuttingProxy(registry.port)
    })
    afterAll(async () => {
      await proxy?.stop()
    })

    it("keeps the partial layer outside the store, then resumes it with a Range request", async () => {
      const layer = big.images[0]!.layers[0]!
      const store = freshStore("resume")
      try {
        proxy.requests.length = 0
        proxy.cut = { match: `/blobs/${layer.digest}`, afterBytes: 2 * 1024 * 1024 }
        const error = await errorOf(store.pull(`${proxy.host}/big:latest`, { retries: 0 }))
        expect(error).toMatchObject({ _tag: "TruncatedDownload", digest: layer.digest, expectedBytes: layer.size })
        const partial = path.join(store.root, "partial", `sha256-${layer.digest.slice(7)}`)
        const kept = fs.statSync(partial).size
        expect(kept).toBeGreaterThan(0)
        expect(kept).toBeLessThan(layer.size)
        expect(error.receivedBytes).toBe(kept)
        expect(fs.existsSync(path.join(store.root, "blobs", "sha256", layer.digest.slice(7)))).toBe(false)
        expect(store.list()).toEqual([])

        proxy.cut = undefined
        proxy.requests.length = 0
        const image = await store.pull(`${proxy.host}/big:latest`)
        const blobRequest = proxy.requests.find((r) => r.includes(`/blobs/${layer.digest}`))
        expect(blobRequest?.toLowerCase()).toContain(`range: bytes=${kept}-`)
        expect(fs.existsSync(partial)).toBe(false)
        expect(image.layers[0]!.digest).toBe(layer.digest)
        const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
        expect(fs.statSync(path.join(base, "big.bin")).size).toBe(bigMegabytes * 1024 * 1024)
      } finally {
        proxy.cut = undefined
        removeDir(cacheOf(store))
      }
    })

    it("resumes within the same pull when retries are allowed", async () => {
      const layer = big.images[0]!.layers[0]!
      const store = freshStore("retry")
      try {
        proxy.requests.length = 0
        proxy.cut = { match: `/blobs/${layer.digest}`, afterBytes: 1024 * 1024 }
        const pulling = store.pull(`${proxy.host}/big:latest`, {
          onProgress: (event) => {
            // the first cut happened once a resumed transfer starts: let it through
            if (event.type === "layer" && event.status === "resuming") proxy.cut = undefined
          }
        })
        await pulling
        const blobRequests = proxy.requests.filter((r) => r.includes(`/blobs/${layer.digest}`))
        expect(blobRequests.length).toBeGreaterThanOrEqual(2)
        expect(blobRequests.at(-1)?.toLowerCase()).toMatch(/range: bytes=\d+-/)
      } finally {
        proxy.cut = undefined
        removeDir(cacheOf(store))
      }
    })
  })

  it.skipIf(asRoot.skip)(asRoot.title("fails with DiskFull when the cache's file system fills up, leaving no layer behind"), async () => {
    asRoot.check()
    const mountPoint = makeTempDir("tmpfs")
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint])
    try {
      const store = ImageStore.open({ cacheDir: mountPoint, dockerConfigPath: "/nonexistent" })
      const error = await errorOf(store.pull(`${registry.host}/big:latest`))
      expect(error).toMatchObject({ _tag: "DiskFull" })
      expect(String(error.hint)).toContain("krunbox rmi")
      expect(fs.readdirSync(path.join(store.root, "blobs", "sha256")).length).toBeLessThanOrEqual(2) // manifest and config only
      expect(store.list()).toEqual([])
    } finally {
      execFileSync("umount", [mountPoint])
      removeDir(mountPoint)
    }
  })

  it("reports a layer corrupted in the cache as CorruptLayer, and one with other content as a diff_id DigestMismatch", async () => {
    const store = freshStore("corrupt")
    try {
      const image = await store.pull(`${registry.host}/tampered:latest`, { unpack: false })
      const blob = path.join(store.root, "blobs", "sha256", image.layers[0]!.digest.slice(7))
      fs.writeFileSync(blob, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 7)]))
      await expect(store.prepareRootfs(`${registry.host}/tampered:latest`, { pull: "never" })).rejects.toMatchObject({
        _tag: "CorruptLayer",
        layer: image.layers[0]!.digest
      })
      fs.writeFileSync(blob, zlib.gzipSync(writeTar([{ name: "other.txt", content: "other" }])))
      await expect(store.prepareRootfs(`${registry.host}/tampered:latest`, { pull: "never" })).rejects.toMatchObject({
        _tag: "DigestMismatch",
        what: "diff_id (uncompressed layer)",
        expected: tampered.images[0]!.layers[0]!.diffId
      })
      expect(fs.readdirSync(path.join(store.root, "rootfs")).filter((n) => !n.endsWith(".lock"))).toEqual([])
      expect(fs.readdirSync(path.join(store.root, "tmp"))).toEqual([])
    } finally {
      removeDir(cacheOf(store))
    }
  })

  it("remove deletes the record, its blobs and its unpacked base", async () => {
    const store = freshStore("remove")
    try {
      const image = await store.pull(`${registry.host}/tampered:latest`)
      expect(store.list().length).toBe(1)
      const result = await store.remove(`${registry.host}/tampered:latest`)
      expect(result.reference).toBe(`${registry.host}/tampered:latest`)
      expect(result.deletedBlobs).toBe(3) // manifest, config, layer
      expect(store.list()).toEqual([])
      expect(fs.readdirSync(path.join(store.root, "blobs", "sha256"))).toEqual([])
      expect(fs.existsSync(path.join(store.root, "rootfs", image.manifestDigest.slice(7)))).toBe(false)
      const again = await errorOf(store.remove(`${registry.host}/tampered:latest`))
      expect(again).toMatchObject({ _tag: "ImageNotPulled" })
    } finally {
      removeDir(cacheOf(store))
    }
  })
})
