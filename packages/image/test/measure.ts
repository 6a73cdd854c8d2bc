/**
 * Measures pull, unpack and per-run rootfs costs against a loopback registry (not a test: it
 * asserts nothing; numbers go to docs/images.md). Run from packages/image:
 *
 *   pnpm exec esbuild --bundle --platform=node --format=esm --external:koffi \
 *     --outfile=node_modules/.cache/krunbox-measure.mjs test/measure.ts \
 *     && node node_modules/.cache/krunbox-measure.mjs
 *
 * (The bundle stays under node_modules so that whatever it leaves external resolves from there.)
 *
 * The "realistic" image is three layers made with GNU tar from host directories
 * (python3.11 stdlib, /usr/include, perl), about 200 MB and 12k entries uncompressed.
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { ImageStore, type PullEvent } from "../src/index.js"
import { buildLayout, busyboxAmd64, isRoot, makeTempDir, pushLayout, registrySkipReason, removeDir, startRegistry } from "@krunbox/testing"

const hostDirs = ["usr/lib/python3.11", "usr/include", "usr/share/perl"].filter((d) => fs.existsSync(`/${d}`))

const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`

/** An OCI layout whose layers are GNU tar archives of host directories. */
const hostLayout = (dir: string, compression: "gzip" | "zstd") => {
  const blobs = path.join(dir, "blobs", "sha256")
  fs.mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer) => {
    const digest = sha(data)
    fs.writeFileSync(path.join(blobs, digest.slice(7)), data)
    return { digest, size: data.length }
  }
  let uncompressed = 0
  const layers = hostDirs.map((d) => {
    const tar = execFileSync("tar", ["--format=posix", "-C", "/", "-cf", "-", d], { maxBuffer: 1024 * 1024 * 1024 })
    uncompressed += tar.length
    const packed = compression === "gzip" ? zlib.gzipSync(tar) : zlib.zstdCompressSync(tar)
    return { ...put(packed), diffId: sha(tar) }
  })
  const config = put(
    Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/bin/sh"] }, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } }))
  )
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: layers.map((l) => ({ mediaType: `application/vnd.oci.image.layer.v1.tar+${compression}`, digest: l.digest, size: l.size }))
      })
    )
  )
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }))
  fs.writeFileSync(
    path.join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "latest" } }]
    })
  )
  return { compressed: layers.reduce((s, l) => s + l.size, 0), uncompressed }
}

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ms = (n: number) => `${n.toFixed(1)} ms`
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`

const measureImage = async (label: string, reference: string, cacheDir: string) => {
  const store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
  let unpackMs = 0
  const started = performance.now()
  const image = await store.pull(reference, {
    onProgress: (event: PullEvent) => {
      if (event.type === "unpacked") unpackMs = event.milliseconds
    }
  })
  const total = performance.now() - started
  const cachedStart = performance.now()
  await store.pull(reference)
  const cachedPull = performance.now() - cachedStart
  const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
  const entries = Number(execFileSync("sh", ["-c", `find ${base} | wc -l`], { encoding: "utf8" }).trim())
  const du = execFileSync("du", ["-sb", base], { encoding: "utf8" }).split("\t")[0]
  console.log(`\n## ${label}`)
  console.log(`compressed layers ${mb(image.size)}, unpacked ${mb(Number(du))}, ${entries} entries`)
  console.log(`pull (download + verify) ${ms(total - unpackMs)}, unpack ${ms(unpackMs)}, total ${ms(total)}; pull again (cached) ${ms(cachedPull)}`)
  for (const strategy of isRoot ? (["overlay", "copy"] as const) : (["copy"] as const)) {
    const prepare: Array<number> = []
    const dispose: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      const run = await store.prepareRootfs(reference, { strategy, pull: "never" })
      const t1 = performance.now()
      await run.dispose()
      prepare.push(t1 - t0)
      dispose.push(performance.now() - t1)
    }
    console.log(`per run, ${strategy}: prepare ${ms(median(prepare))}, dispose ${ms(median(dispose))} (median of 5)`)
  }
}

const main = async () => {
  const skip = registrySkipReason()
  if (skip !== undefined) {
    console.log(`cannot measure: ${skip}`)
    return
  }
  const work = makeTempDir("measure")
  const registry = await startRegistry(path.join(work, "registry"))
  try {
    const busybox = buildLayout(path.join(work, "busybox"), "latest", [busyboxAmd64()])
    await pushLayout(busybox.dir, "latest", `${registry.host}/busybox:latest`)
    await measureImage("busybox (4 layers)", `${registry.host}/busybox:latest`, path.join(work, "cache-busybox"))
    for (const compression of ["gzip", "zstd"] as const) {
      const sizes = hostLayout(path.join(work, `host-${compression}`), compression)
      console.log(`\n(host image, ${compression}: ${mb(sizes.uncompressed)} of tar -> ${mb(sizes.compressed)})`)
      await pushLayout(path.join(work, `host-${compression}`), "latest", `${registry.host}/host-${compression}:latest`)
      await measureImage(`host directories, ${compression} (${hostDirs.join(", ")})`, `${registry.host}/host-${compression}:latest`, path.join(work, `cache-${compression}`))
    }
  } finally {
    await registry.stop()
    removeDir(work)
  }
}

await main()
