/**
 * The images the tests push: a busybox image built from Debian's busybox-static with several
 * layers exercising whiteouts, opaque directories, links, long names, modes and owners, and a
 * two-platform index around it.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import type { ImageSpec } from "./ociLayout.js"
import type { TarInput } from "./tarWriter.js"

export { busyboxPath } from "../busybox.js"
import { busyboxPath } from "../busybox.js"

export const busyboxAvailable = (): boolean => fs.existsSync(busyboxPath)

export const longDirName = `deep/${"d".repeat(60)}/${"e".repeat(60)}`
export const paxLongName = `${longDirName}/pax-${"p".repeat(40)}.txt`
export const gnuLongName = `${longDirName}/gnu-${"g".repeat(40)}.txt`

const applets = ["sh", "echo", "cat", "ls", "id", "env", "pwd", "true", "false"]

/** The amd64 busybox image: four layers. */
export const busyboxAmd64 = (): ImageSpec => {
  const busybox = fs.readFileSync(busyboxPath)
  const base: Array<TarInput> = [
    { name: "bin/", type: "directory" },
    { name: "bin/busybox", content: busybox, mode: 0o755 },
    ...applets.map((applet): TarInput => ({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" })),
    { name: "etc/", type: "directory" },
    { name: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n" },
    { name: "etc/group", content: "root:x:0:\napp:x:1000:\n" },
    { name: "tmp/", type: "directory", mode: 0o1777 },
    { name: "gone.txt", content: "removed by a whiteout in layer 2\n" },
    { name: "gone-dir/", type: "directory" },
    { name: "gone-dir/inner.txt", content: "the whole directory is whited out\n" },
    { name: "opaque/", type: "directory" },
    { name: "opaque/old-a.txt", content: "hidden by the opaque marker\n" },
    { name: "opaque/old-sub/", type: "directory" },
    { name: "opaque/old-sub/old-b.txt", content: "hidden too\n" },
    { name: "kept/", type: "directory" },
    { name: "kept/stays.txt", content: "untouched by later layers\n" },
    { name: "replaced.txt", content: "version 1\n" },
    { name: "dev/", type: "directory" },
    { name: "dev/null", type: "char", mode: 0o666 }
  ]
  const second: Array<TarInput> = [
    { name: ".wh.gone.txt" },
    { name: ".wh.gone-dir" },
    { name: "opaque/", type: "directory" },
    { name: "opaque/new.txt", content: "written in the same layer as the opaque marker\n" },
    { name: "opaque/.wh..wh..opq" },
    { name: "bin/busybox-hardlink", type: "hardlink", linkname: "bin/busybox" },
    { name: "usr/", type: "directory" },
    { name: "usr/local/", type: "directory" },
    { name: "usr/local/bin/", type: "directory" },
    { name: "usr/local/bin/hello", content: "#!/bin/sh\necho hello from the image\n", mode: 0o755 },
    { name: "usr/local/bin/setuid-app", content: "not really a program\n", mode: 0o4755, uid: 1000, gid: 1000 },
    { name: "replaced.txt", content: "version 2\n" },
    { name: paxLongName, content: "named through a pax path record\n" },
    { name: "links/", type: "directory" },
    { name: "links/absolute", type: "symlink", linkname: "/etc/passwd" },
    { name: "links/relative", type: "symlink", linkname: "../kept/stays.txt" },
    { name: "links/dangling", type: "symlink", linkname: "/does/not/exist" }
  ]
  const third: Array<TarInput> = [
    { name: gnuLongName, content: "named through a GNU long name\n", longNames: "gnu" },
    { name: "private/", type: "directory", mode: 0o700, uid: 1000, gid: 1000 },
    { name: "private/secret.txt", content: "only for app\n", mode: 0o600, uid: 1000, gid: 1000 },
    { name: "home/", type: "directory" },
    { name: "home/app/", type: "directory", uid: 1000, gid: 1000 },
    { name: "mtime.txt", content: "old\n", mtime: 1_000_000_000 },
    { name: "readonly/", type: "directory", mode: 0o555 },
    { name: "readonly/file.txt", content: "in a read-only directory\n", mode: 0o444 },
    // modes that leave even the owner out: an unprivileged copy must still work (issue 12)
    { name: "unreadable.txt", content: "mode 0000\n", mode: 0o000 },
    { name: "unreadable-link", type: "hardlink", linkname: "unreadable.txt" },
    { name: "noaccess/", type: "directory", mode: 0o000 },
    { name: "noaccess/inside.txt", content: "in a mode 0000 directory\n", mode: 0o640 }
  ]
  const fourth: Array<TarInput> = [{ name: "platform.txt", content: "linux/amd64\n" }]
  return {
    platform: { os: "linux", architecture: "amd64" },
    layers: [
      { entries: base, compression: "gzip" },
      { entries: second, compression: "zstd" },
      { entries: third, compression: "gzip" },
      { entries: fourth, compression: "none" }
    ],
    config: {
      Env: ["PATH=/usr/local/bin:/bin", "GREETING=hello"],
      Cmd: ["/bin/sh"],
      WorkingDir: "/home/app",
      User: "app"
    }
  }
}

/** A stand-in for another architecture: it cannot run here, only be selected. */
export const fakeArm64 = (): ImageSpec => ({
  platform: { os: "linux", architecture: "arm64", variant: "v8" },
  layers: [{ entries: [{ name: "platform.txt", content: "linux/arm64\n" }], compression: "gzip" }],
  config: { Cmd: ["/bin/true"] }
})

/** One layer of incompressible bytes (for interrupted downloads and disk-full). */
export const bigImage = (megabytes: number): ImageSpec => ({
  platform: { os: "linux", architecture: "amd64" },
  layers: [{ entries: [{ name: "big.bin", content: randomBytes(megabytes * 1024 * 1024) }], compression: "gzip" }]
})

/** A small single-platform image for tampering. */
export const smallImage = (marker: string): ImageSpec => ({
  platform: { os: "linux", architecture: "amd64" },
  layers: [{ entries: [{ name: "marker.txt", content: `${marker}\n${randomBytes(4096).toString("hex")}\n` }], compression: "gzip" }]
})

/**
 * A one-layer busybox image with the given run config: the smallest image a VM can run
 * (`/bin/busybox` and the applets named above, `/etc/passwd` with root and app, `/tmp`).
 */
export const runnableBusybox = (config: NonNullable<ImageSpec["config"]> = {}): ImageSpec => ({
  platform: { os: "linux", architecture: "amd64" },
  layers: [
    {
      compression: "gzip",
      entries: [
        { name: "bin/", type: "directory" },
        { name: "bin/busybox", content: fs.readFileSync(busyboxPath), mode: 0o755 },
        ...[...applets, "sleep", "mkdir"].map((applet): TarInput => ({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" })),
        { name: "etc/", type: "directory" },
        { name: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n" },
        { name: "etc/group", content: "root:x:0:\napp:x:1000:\n" },
        { name: "tmp/", type: "directory", mode: 0o1777 }
      ]
    }
  ],
  config
})

/**
 * The hostile image of issue 12: a lower layer makes `d/` and `p/d/`; the upper layer marks both
 * opaque and then, in the same layer, swaps `d` and `p` for symlinks to host directories. An
 * unpacker that applies the opaque clean-up later through the path it resolved first empties
 * `hostDir` and `hostParent/d` on the host. Runnable (busybox) so that `run IMAGE` works too.
 */
export const opaqueSwapImage = (hostDir: string, hostParent: string): ImageSpec => {
  const runnable = runnableBusybox()
  return {
    platform: runnable.platform,
    layers: [
      ...runnable.layers,
      {
        compression: "gzip",
        entries: [
          { name: "d/", type: "directory" },
          { name: "d/lower.txt", content: "lower\n" },
          { name: "p/", type: "directory" },
          { name: "p/d/", type: "directory" },
          { name: "p/d/lower.txt", content: "lower\n" }
        ]
      },
      {
        compression: "gzip",
        entries: [
          { name: "d/.wh..wh..opq" },
          { name: "d", type: "symlink", linkname: hostDir },
          { name: "p/d/.wh..wh..opq" },
          { name: "p", type: "symlink", linkname: hostParent }
        ]
      }
    ],
    config: { Cmd: ["/bin/true"] }
  }
}
