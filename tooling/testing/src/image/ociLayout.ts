/**
 * Writes OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * that skopeo can push: one image, or an index of several platforms.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { type TarInput, writeTar } from "./tarWriter.js"

export interface LayerSpec {
  readonly entries: ReadonlyArray<TarInput>
  readonly compression: "gzip" | "zstd" | "none"
}

export interface ImageSpec {
  readonly platform: { readonly os: string; readonly architecture: string; readonly variant?: string }
  readonly layers: ReadonlyArray<LayerSpec>
  readonly config?: {
    readonly Env?: ReadonlyArray<string>
    readonly Entrypoint?: ReadonlyArray<string>
    readonly Cmd?: ReadonlyArray<string>
    readonly WorkingDir?: string
    readonly User?: string
  }
}

export interface BuiltImage {
  readonly manifestDigest: string
  readonly configDigest: string
  readonly layers: ReadonlyArray<{ readonly digest: string; readonly diffId: string; readonly size: number }>
}

export interface BuiltLayout {
  readonly dir: string
  readonly images: ReadonlyArray<BuiltImage>
  /** set when the layout's tag points at an index */
  readonly indexDigest: string | undefined
}

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`

const mediaTypes = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: "application/vnd.oci.image.layer.v1.tar"
} as const

export const buildLayout = (dir: string, tag: string, specs: ReadonlyArray<ImageSpec>, asIndex = specs.length > 1): BuiltLayout => {
  const blobsDir = path.join(dir, "blobs", "sha256")
  fs.mkdirSync(blobsDir, { recursive: true })
  const putBlob = (data: Buffer) => {
    const digest = sha256(data)
    fs.writeFileSync(path.join(blobsDir, digest.slice(7)), data)
    return { digest, size: data.length }
  }
  const images: Array<BuiltImage> = []
  const manifestDescriptors: Array<Record<string, unknown>> = []
  for (const spec of specs) {
    const layers = spec.layers.map((layer) => {
      const tar = writeTar(layer.entries)
      const compressed =
        layer.compression === "gzip" ? zlib.gzipSync(tar) : layer.compression === "zstd" ? zlib.zstdCompressSync(tar) : tar
      const { digest, size } = putBlob(compressed)
      return { digest, size, diffId: sha256(tar), mediaType: mediaTypes[layer.compression] }
    })
    const config = Buffer.from(
      JSON.stringify({
        created: "2026-11-01T00:00:00Z",
        architecture: spec.platform.architecture,
        ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
        os: spec.platform.os,
        config: spec.config ?? {},
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
        history: layers.map(() => ({ created: "2026-11-01T00:00:00Z", created_by: "krunbox test" }))
      })
    )
    const configBlob = putBlob(config)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }))
      })
    )
    const manifestBlob = putBlob(manifest)
    images.push({ manifestDigest: manifestBlob.digest, configDigest: configBlob.digest, layers })
    manifestDescriptors.push({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...manifestBlob,
      platform: spec.platform
    })
  }
  let indexDigest: string | undefined
  let top: Record<string, unknown>
  if (asIndex) {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: manifestDescriptors })
    )
    const indexBlob = putBlob(index)
    indexDigest = indexBlob.digest
    top = { mediaType: "application/vnd.oci.image.index.v1+json", ...indexBlob }
  } else {
    const { platform: _platform, ...descriptor } = manifestDescriptors[0]!
    top = descriptor
  }
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }))
  fs.writeFileSync(
    path.join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }]
    })
  )
  return { dir, images, indexDigest }
}
