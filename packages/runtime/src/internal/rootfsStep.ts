import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import type { RootfsEntry } from "../Manifest.js"
import { ArtifactInvalid, type ToolMissing } from "../SetupError.js"
import { debExtract, debVersion, type PrivateApt } from "./apt.js"
import { io, publishDirectory, sha256File, sha256Text } from "./files.js"
import { run } from "./process.js"
import type { StepContext } from "./progress.js"

/** Bump when the rootfs's layout changes, so old caches are rebuilt. */
export const ROOTFS_LAYOUT = 1
const MARKER = ".krunbox-rootfs.json"

const FILES: ReadonlyArray<[string, string, number]> = [
  ["etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0o644],
  ["etc/group", "root:x:0:\nnogroup:x:65534:\n", 0o644],
  ["etc/hostname", "krunbox\n", 0o644],
  ["etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n", 0o644]
]

const DIRS: ReadonlyArray<[string, number]> = [
  ["bin", 0o755],
  ["sbin", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
  ["etc", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["dev", 0o755],
  ["tmp", 0o1777],
  ["root", 0o700],
  ["run", 0o755],
  ["var", 0o755],
  ["var/tmp", 0o1777]
]

/** Applets a default rootfs must have (beyond these, whatever `busybox --list-full` names). */
export const REQUIRED_APPLETS = ["sh", "echo", "true", "false", "cat", "ls", "env", "sleep", "id", "mkdir"] as const

interface Marker {
  readonly layout: number
  readonly busybox: string
}

const readMarker = (dir: string): Marker | undefined => {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")) as Marker
    return typeof m.layout === "number" && typeof m.busybox === "string" ? m : undefined
  } catch {
    return undefined
  }
}

const existingRootfs = (paths: CachePaths): [string, Marker] | undefined => {
  let names: Array<string> = []
  try {
    names = fs.readdirSync(paths.rootfsDir).filter((n) => n.startsWith("default-")).sort()
  } catch {
    return undefined
  }
  for (const name of names.reverse()) {
    const dir = path.join(paths.rootfsDir, name)
    const marker = readMarker(dir)
    if (marker?.layout === ROOTFS_LAYOUT && fs.existsSync(path.join(dir, "bin", "busybox"))) return [dir, marker]
  }
  return undefined
}

/** Relative link target from `linkDir` (inside the rootfs) to /bin/busybox, valid on host and guest. */
const busyboxLinkTarget = (linkDir: string): string => path.relative(linkDir, "bin/busybox") || "busybox"

const populate = (dir: string, busyboxFile: string, busyboxVersion: string) =>
  Effect.gen(function* () {
    yield* io("create", dir, () => {
      for (const [d, mode] of DIRS) {
        fs.mkdirSync(path.join(dir, d), { recursive: true })
        fs.chmodSync(path.join(dir, d), mode)
      }
      fs.copyFileSync(busyboxFile, path.join(dir, "bin", "busybox"))
      fs.chmodSync(path.join(dir, "bin", "busybox"), 0o755)
      for (const [f, content, mode] of FILES) fs.writeFileSync(path.join(dir, f), content, { mode })
    })
    const listing = yield* run(path.join(dir, "bin", "busybox"), ["--list-full"], {
      step: "rootfs",
      fix: "the downloaded busybox-static does not run here; delete the cache's debs/busybox-static_* and rerun `krunbox setup --force`"
    })
    const applets = listing.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.includes(".."))
    yield* io("link applets", dir, () => {
      const names = new Set<string>()
      for (const applet of applets) {
        const rel = applet.replace(/^\/+/, "")
        const linkDir = path.dirname(rel)
        if (!DIRS.some(([d]) => d === linkDir)) continue
        names.add(path.basename(rel))
        const link = path.join(dir, rel)
        if (path.basename(rel) === "busybox" || fs.existsSync(link)) continue
        fs.symlinkSync(busyboxLinkTarget(linkDir), link)
      }
      // /bin/sh etc. must exist even if busybox filed them elsewhere
      for (const applet of REQUIRED_APPLETS) {
        const link = path.join(dir, "bin", applet)
        if (!fs.existsSync(link)) fs.symlinkSync("busybox", link)
      }
      fs.writeFileSync(path.join(dir, MARKER), `${JSON.stringify({ layout: ROOTFS_LAYOUT, busybox: busyboxVersion })}\n`)
    })
  })

/** Step d: the default rootfs, made from Debian's busybox-static. */
export const ensureRootfs = (paths: CachePaths, ctx: StepContext, apt: Effect.Effect<PrivateApt, ToolMissing>) =>
  Effect.gen(function* () {
    const existing = ctx.force ? undefined : existingRootfs(paths)
    let target: string
    let busyboxVersion: string
    if (existing !== undefined) {
      ;[target, { busybox: busyboxVersion }] = existing
      ctx.emit({ step: "rootfs", status: "skip", detail: target })
    } else {
      ctx.emit({ step: "rootfs", status: "start", detail: "building the default rootfs from Debian's busybox-static" })
      const privateApt = yield* apt
      yield* privateApt.update("rootfs", false, (line) => ctx.emit({ step: "rootfs", status: "progress", detail: line }))
      const deb = yield* privateApt.download("busybox-static", "rootfs")
      busyboxVersion = yield* debVersion(deb, "rootfs")
      target = path.join(paths.rootfsDir, `default-${sha256Text(`${ROOTFS_LAYOUT}\0${busyboxVersion}`).slice(0, 12)}`)
      const unpackDir = path.join(paths.buildDir, `busybox-static-${process.pid}`)
      yield* Effect.gen(function* () {
        yield* io("create", unpackDir, () => fs.mkdirSync(unpackDir, { recursive: true }))
        yield* debExtract(deb, unpackDir, "rootfs")
        // bookworm ships bin/busybox, later suites (merged /usr) usr/bin/busybox
        const busybox = ["usr/bin/busybox", "bin/busybox"].map((p) => path.join(unpackDir, p)).find((p) => fs.existsSync(p))
        if (busybox === undefined) {
          return yield* Effect.fail(
            new ArtifactInvalid({ path: deb, problem: "has no bin/busybox or usr/bin/busybox", fix: `delete ${deb} and rerun \`krunbox setup --force\`` })
          )
        }
        const version = busyboxVersion
        yield* publishDirectory(target, (dir) => populate(dir, busybox, version))
      }).pipe(Effect.ensuring(Effect.sync(() => fs.rmSync(unpackDir, { recursive: true, force: true }))))
      ctx.emit({ step: "rootfs", status: "done", detail: target })
    }
    const busyboxPath = path.join(target, "bin", "busybox")
    const entry: RootfsEntry = {
      path: target,
      busybox: busyboxVersion,
      sha256: yield* io("hash", busyboxPath, () => sha256File(busyboxPath))
    }
    return entry
  })
