/**
 * Property test of the layer unpacker against hostile layers: random sequences of directories,
 * files, symlinks, hardlinks, whiteouts, opaque markers and FIFOs over a tiny name space (so
 * that a path changes type within a layer and across layers all the time), with symlink and
 * hardlink targets that point next to and above the root, climb with `..` or name host paths.
 * Whatever the layers do, the sentinel tree around the root stays byte-for-byte,
 * mode-for-mode and inode-for-inode unchanged (ctime included, so even a chmod back or a
 * hardlink made and removed is seen), and a refused layer is a typed error.
 *
 * 2,000 runs; the seed is printed so that a failure can be replayed with `FC_SEED=<seed>`
 * (`FC_RUNS=<n>` changes the number of runs).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { RootfsBuilder } from "../src/internal/unpack.js"
import { removeTree } from "../src/internal/removeTree.js"
import { isRoot, makeTempDir, removeDir, type TarInput, writeTar } from "@krunbox/testing"

const seed = process.env["FC_SEED"] === undefined ? Date.now() % 2 ** 31 : Number(process.env["FC_SEED"])
const numRuns = process.env["FC_RUNS"] === undefined ? 2_000 : Number(process.env["FC_RUNS"])
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

/** Refusals a hostile layer may end in; anything else (a crash, an I/O error) is a bug. */
const allowedFailures = new Set(["UnsafeArchiveEntry", "CorruptLayer"])

async function* streamOf(data: Buffer): AsyncGenerator<Buffer> {
  yield data
}

/** Everything under `dir` except `skip`, with the metadata a stray write, chmod, link or unlink would change. */
const snapshot = (dir: string, skip: string): Map<string, string> => {
  const key = (full: string) => path.relative(dir, full)
  const out = new Map<string, string>()
  const walk = (current: string) => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name)
      if (full === skip) continue
      const s = fs.lstatSync(full)
      const meta = `${s.mode.toString(8)} ${s.uid}:${s.gid} ino=${s.ino} nlink=${s.nlink} size=${s.size} mtime=${s.mtimeMs} ctime=${s.ctimeMs}`
      if (s.isDirectory()) {
        out.set(`${key(full)}/`, meta)
        walk(full)
      } else if (s.isSymbolicLink()) out.set(key(full), `${meta} -> ${fs.readlinkSync(full)}`)
      else out.set(key(full), `${meta} sha256=${createHash("sha256").update(fs.readFileSync(full)).digest("hex")}`)
    }
  }
  const top = fs.lstatSync(dir)
  out.set(".", `${top.mode.toString(8)} ino=${top.ino} ctime=${top.ctimeMs}`)
  walk(dir)
  return out
}

describe("RootfsBuilder against random hostile layers", () => {
  let top: string
  let above: string
  let work: string
  let root: string
  let sentinel: Map<string, string>

  beforeAll(() => {
    // top/u1/.../u10/        a chain of sentinel directories, each with a file, deeper than any
    //                        climb the generated targets can express on the host (4 `..` in one
    //                        target; going further needs host directories named a, b or c, which
    //                        exist only in above/ and work/), so that even a regressed unpacker
    //                        that followed every planted link on the host could only touch the sandbox
    //   above/               above-file, above-dir/, above-link -> above-dir
    //     work/              neighbour-file, neighbour-dir/, neighbour-link, neighbour-abs
    //       root/            the layer root (emptied after every run, not part of the sentinel)
    // No generated target names a host path outside `top` (no "/", no "/etc"): absolute
    // targets name the sentinel's own directories.
    // memory-backed when the host has /dev/shm: the 2,000 runs create and delete ~100k inodes
    top = fs.existsSync("/dev/shm") ? fs.mkdtempSync("/dev/shm/krunbox-image-hostile-") : makeTempDir("hostile")
    buildSentinel()
  })
  afterAll(() => removeDir(top))

  /** (Re)builds the tree, so that a run which broke it does not fail every later (shrinking) run. */
  const buildSentinel = () => {
    removeDir(path.join(top, "u1"))
    let level = top
    for (let i = 1; i <= 10; i++) {
      level = path.join(level, `u${i}`)
      fs.mkdirSync(level)
      fs.writeFileSync(path.join(level, "level.txt"), `level ${i}\n`)
    }
    above = path.join(level, "above")
    work = path.join(above, "work")
    root = path.join(work, "root")
    fs.mkdirSync(path.join(above, "above-dir", "a"), { recursive: true })
    fs.writeFileSync(path.join(above, "above-file"), "above\n", { mode: 0o640 })
    fs.writeFileSync(path.join(above, "above-dir", "a", "inner.txt"), "inner\n")
    fs.writeFileSync(path.join(above, "above-dir", "b"), "b\n")
    fs.symlinkSync("above-dir", path.join(above, "above-link"))
    fs.mkdirSync(path.join(work, "neighbour-dir", "a", "b"), { recursive: true })
    fs.writeFileSync(path.join(work, "neighbour-dir", "a", "b", "c"), "deep\n", { mode: 0o600 })
    fs.writeFileSync(path.join(work, "neighbour-dir", "c"), "c\n", { mode: 0o4755 })
    fs.mkdirSync(path.join(work, "neighbour-dir", "b"), { mode: 0o750 })
    fs.writeFileSync(path.join(work, "neighbour-file"), "neighbour\n")
    fs.symlinkSync("neighbour-dir", path.join(work, "neighbour-link"))
    fs.symlinkSync(path.join(above, "above-dir"), path.join(work, "neighbour-abs"))
    fs.mkdirSync(root)
    sentinel = snapshot(top, root)
  }

  const emptyRoot = async () => {
    fs.chmodSync(root, 0o755)
    for (const name of fs.readdirSync(root)) {
      const child = path.join(root, name)
      try {
        fs.rmSync(child, { recursive: true, force: true })
      } catch {
        await removeTree(child) // unprivileged: makes read-only directories writable first
      }
    }
  }

  it(`leaves the sentinel tree around the root unchanged (${numRuns} runs, seed ${seed})`, async () => {
    const name = fc.constantFrom("a", "b", "c")
    const relPath = fc.array(name, { minLength: 1, maxLength: 3 })
    /** an archive spelling of a path: plain, absolute, ./-prefixed, or with a `..` detour that stays inside */
    const spelled = fc.tuple(relPath, fc.constantFrom("plain", "plain", "plain", "abs", "dot", "detour")).map(([parts, how]) => {
      const joined = parts.join("/")
      switch (how) {
        case "abs":
          return `/${joined}`
        case "dot":
          return `./${joined}`
        case "detour":
          return `${parts[0]}/../${joined}`
        default:
          return joined
      }
    })
    const outsideTarget = fc.constantFrom(
      "..",
      "../..",
      "../../..",
      "../../../..",
      "../neighbour-dir",
      "../neighbour-link",
      "../../above-dir",
      "a/../../neighbour-dir",
      root,
      path.join(root, "a"),
      path.join(root, "..", "neighbour-dir"),
      path.join(work, "neighbour-dir"),
      path.join(work, "neighbour-dir", "a"),
      path.join(work, "neighbour-link"),
      path.join(work, "neighbour-abs"),
      path.join(work, "neighbour-file"),
      path.join(above, "above-dir"),
      path.join(above, "above-link"),
      above,
      work,
      top
    )
    const symlinkTarget = fc.oneof(outsideTarget, relPath.map((p) => p.join("/")), relPath.map((p) => `../${p.join("/")}`))
    const hardlinkTarget = fc.oneof(
      { weight: 3, arbitrary: spelled },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
        "../neighbour-file",
        "../../above-file",
        "a/../../neighbour-file",
        path.join(work, "neighbour-file"),
        path.join(above, "above-file"),
          path.join(work, "neighbour-dir", "c"),
          "../a"
        )
      },
      { weight: 1, arbitrary: relPath.map((p) => `${p.join("/")}/c`) }
    )
    const fileMode = fc.constantFrom(0o644, 0o755, 0o000, 0o444, 0o4755, 0o200)
    const dirMode = fc.constantFrom(0o755, 0o700, 0o555, 0o000, 0o1777)

    const entry: fc.Arbitrary<ReadonlyArray<TarInput>> = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(spelled, dirMode).map(([p, mode]) => [{ name: `${p}/`, type: "directory" as const, mode }]) },
      {
        weight: 3,
        arbitrary: fc.tuple(spelled, fileMode, fc.string({ maxLength: 8 })).map(([p, mode, content]) => [{ name: p, mode, content }])
      },
      { weight: 3, arbitrary: fc.tuple(spelled, symlinkTarget).map(([p, linkname]) => [{ name: p, type: "symlink" as const, linkname }]) },
      { weight: 2, arbitrary: fc.tuple(spelled, hardlinkTarget).map(([p, linkname]) => [{ name: p, type: "hardlink" as const, linkname }]) },
      { weight: 2, arbitrary: fc.tuple(relPath, name).map(([dir, hidden]) => [{ name: `${dir.join("/")}/.wh.${hidden}` }]) },
      { weight: 1, arbitrary: name.map((hidden) => [{ name: `.wh.${hidden}` }]) },
      { weight: 2, arbitrary: relPath.map((dir) => [{ name: `${dir.join("/")}/.wh..wh..opq` }]) },
      { weight: 1, arbitrary: spelled.map((p) => [{ name: p, type: "fifo" as const }]) },
      {
        // a name that climbs out of the root (refused)
        weight: 1,
        arbitrary: fc.tuple(relPath, fc.constantFrom("file", "directory", "symlink") as fc.Arbitrary<"file" | "directory" | "symlink">).map(([p, type]) => [
          { name: `../${p.join("/")}`, type, linkname: type === "symlink" ? "a" : "" }
        ])
      },
      {
        // the pattern: mark a directory opaque, then swap it (or a parent) for a symlink
        weight: 2,
        arbitrary: fc
          .tuple(relPath, fc.nat(), outsideTarget, fc.boolean())
          .map(([dir, cut, target, refill]) => {
            const swapped = dir.slice(0, 1 + (cut % dir.length)).join("/")
            return [
              { name: `${dir.join("/")}/.wh..wh..opq` },
              { name: swapped, type: "symlink" as const, linkname: target },
              ...(refill ? [{ name: `${dir.join("/")}/x`, content: "x" }] : [])
            ]
          })
      }
    )
    const layer = fc.array(entry, { minLength: 1, maxLength: 10 }).map((groups) => groups.flat())
    const layers = fc.array(layer, { minLength: 1, maxLength: 4 })

    let runs = 0
    let layersApplied = 0
    let layersRefused = 0
    await fc.assert(
      fc.asyncProperty(layers, async (spec) => {
        // A refused layer does not end the run: the next layers are applied over whatever the
        // refused one left half-done, which is more hostile still.
        const builder = new RootfsBuilder(root, { preserveOwnership: isRoot })
        for (const [index, entries] of spec.entries()) {
          try {
            await builder.applyLayer(streamOf(writeTar(entries)), `layer-${index}`)
            layersApplied++
          } catch (error) {
            const tag = (error as { _tag?: unknown })._tag
            if (typeof tag !== "string" || !allowedFailures.has(tag)) throw error
            layersRefused++
          }
        }
        builder.finish()
        const after = snapshot(top, root)
        await emptyRoot()
        if (JSON.stringify([...after]) !== JSON.stringify([...sentinel])) {
          const expected = sentinel
          buildSentinel()
          expect(after).toEqual(expected)
        }
        runs++
      }),
      { numRuns, seed }
    )
    console.log(`hostile layers: ${runs} runs, ${layersApplied} layers applied, ${layersRefused} refused with a typed error`)
    expect(runs).toBe(numRuns)
  }, 600_000)
})
