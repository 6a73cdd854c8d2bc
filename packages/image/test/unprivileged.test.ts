/**
 * The same store used by an unprivileged user (uid 65534 via `setpriv`): no ownership
 * preservation, the copy strategy, and read-only image directories that must still be
 * deletable. On a non-root host every other suite already runs this way.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { buildLayout, busyboxAmd64, busyboxPath, isRoot, makeTempDir, prerequisite, pushLayout, registrySkipReason, removeDir, type RunningRegistry, startRegistry } from "@krunbox/testing"

const here = path.dirname(fileURLToPath(import.meta.url))
const esbuild = path.resolve(here, "../node_modules/.bin/esbuild")
const nobody = 65534

const skipReason = !isRoot
  ? "not root: the other image suites already run unprivileged"
  : !fs.existsSync(esbuild)
    ? `needs the workspace's esbuild at ${esbuild} to bundle the unprivileged script`
    : registrySkipReason()
const needs = prerequisite(skipReason)

const script = (srcIndex: string) => `
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { ImageStore } from ${JSON.stringify(srcIndex)}
const [cacheDir, reference] = process.argv.slice(2)
const store = ImageStore.open({ cacheDir, dockerConfigPath: "/nonexistent" })
const image = await store.pull(reference)
const base = path.join(store.root, "rootfs", image.manifestDigest.slice(7))
const run = await store.prepareRootfs(reference, { pull: "never" })
fs.writeFileSync(path.join(run.rootfsDir, "bin", "busybox"), "clobbered")
const stat = (p) => { const s = fs.lstatSync(path.join(base, p)); return { mode: s.mode & 0o7777, uid: s.uid } }
const modeIn = (dir, p) => fs.lstatSync(path.join(dir, p)).mode & 0o7777
const result = {
  uid: process.getuid(),
  storeMode: fs.statSync(store.root).mode & 0o777,
  strategy: run.strategy,
  // the image's modes in the run's copy; the base keeps them readable for the owner
  copyModes: ["unreadable.txt", "unreadable-link", "noaccess", "readonly", "readonly/file.txt"].map((p) => modeIn(run.rootfsDir, p)),
  baseModes: ["unreadable.txt", "noaccess"].map((p) => modeIn(base, p)),
  busyboxSha256: createHash("sha256").update(fs.readFileSync(path.join(base, "bin", "busybox"))).digest("hex"),
  setuid: stat("usr/local/bin/setuid-app"),
  readonlyDir: stat("readonly"),
  privateDir: stat("private"),
}
await run.dispose()
result.runGone = !fs.existsSync(run.rootfsDir)
await store.remove(reference)
result.basesLeft = fs.readdirSync(path.join(store.root, "rootfs")).filter((n) => !n.endsWith(".lock"))
console.log(JSON.stringify(result))
`

describe.skipIf(needs.skip)(needs.title("as an unprivileged user"), () => {
  beforeAll(needs.check)
  let work: string
  let registry: RunningRegistry
  let bundle: string
  let bundleDir: string | undefined
  beforeAll(async () => {
    work = makeTempDir("nobody")
    registry = await startRegistry(path.join(work, "registry"))
    try {
      const layout = buildLayout(path.join(work, "layout"), "latest", [busyboxAmd64()])
      await pushLayout(layout.dir, "latest", `${registry.host}/busybox:latest`)
      const source = path.join(work, "nobody.ts")
      fs.writeFileSync(source, script(path.resolve(here, "../src/index.ts")))
      // the bundle sits under the package's node_modules so that whatever it leaves external
      // resolves from there
      bundleDir = fs.mkdtempSync(path.resolve(here, "../node_modules/.krunbox-test-nobody-"))
      fs.chmodSync(bundleDir, 0o755)
      bundle = path.join(bundleDir, "nobody.mjs")
      execFileSync(esbuild, ["--bundle", "--platform=node", "--format=esm", "--log-level=warning", "--external:koffi", `--outfile=${bundle}`, source])
      fs.chmodSync(work, 0o755)
    } catch (error) {
      await registry.stop()
      throw error
    }
  })
  afterAll(async () => {
    await registry?.stop()
    removeDir(work)
    removeDir(bundleDir)
  })

  it("pulls, unpacks, copies a run and removes everything, read-only directories included", () => {
    const cacheDir = path.join(work, "cache")
    fs.mkdirSync(cacheDir)
    fs.chownSync(cacheDir, nobody, nobody)
    const output = execFileSync(
      "setpriv",
      ["--reuid", String(nobody), "--regid", String(nobody), "--clear-groups", "--", process.execPath, bundle, cacheDir, `${registry.host}/busybox:latest`],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cacheDir } }
    )
    const result = JSON.parse(output.trim().split("\n").at(-1)!) as Record<string, unknown>
    expect(result).toEqual({
      uid: nobody,
      storeMode: 0o700,
      strategy: "copy",
      copyModes: [0o000, 0o000, 0o000, 0o555, 0o444],
      baseModes: [0o400, 0o500],
      // the cached base still holds the image's busybox, though the run clobbered its copy
      busyboxSha256: createHash("sha256").update(fs.readFileSync(busyboxPath)).digest("hex"),
      setuid: { mode: 0o4755, uid: nobody },
      readonlyDir: { mode: 0o555, uid: nobody },
      privateDir: { mode: 0o700, uid: nobody },
      runGone: true,
      basesLeft: []
    })
  })
})
