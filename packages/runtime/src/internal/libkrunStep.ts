import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import type { LibkrunEntry } from "../Manifest.js"
import { ArtifactInvalid, ToolMissing, ToolTooOld } from "../SetupError.js"
import { readElfInfo } from "./elf.js"
import { exists, io, publishDirectory, sha256File, sha256Text } from "./files.js"
import { probe, run, which } from "./process.js"
import type { StepContext } from "./progress.js"
import { compareVersions, findSystemLibkrun } from "./systemLibs.js"

export const LIBKRUN_VERSION = "1.19.0"
export const LIBKRUN_FEATURES = ["blk", "net"] as const
export const MIN_SYSTEM_LIBKRUN = "1.17.0"
const MIN_CARGO = "1.85.0"
const SYSTEM_NOTE = "system libkrun embeds its own init: no readiness signal, no krunbox control protocol"

export const builtLibkrunDir = (paths: CachePaths, initSha256: string): string =>
  path.join(
    paths.libkrunDir,
    `${LIBKRUN_VERSION}-${sha256Text(`${LIBKRUN_VERSION}\0${LIBKRUN_FEATURES.join(",")}\0${initSha256}`).slice(0, 12)}`
  )

const rustupFix = "install Rust >= 1.85 with rustup (curl https://sh.rustup.rs | sh, or apt-get install rustup && rustup default stable)"

const findCargo = () =>
  Effect.gen(function* () {
    const cargo = which("cargo", [path.join(os.homedir(), ".cargo", "bin")])
    if (cargo === undefined) {
      return yield* Effect.fail(new ToolMissing({ tool: "cargo", neededFor: "building libkrun", fix: rustupFix }))
    }
    const version = /cargo (\d+\.\d+\.\d+)/.exec(probe(cargo, ["--version"]) ?? "")?.[1]
    if (version === undefined || compareVersions(version, MIN_CARGO) < 0) {
      return yield* Effect.fail(
        new ToolTooOld({ tool: "cargo", found: version ?? "unknown", required: MIN_CARGO, fix: "rustup update stable" })
      )
    }
    if (which("gcc") === undefined) {
      return yield* Effect.fail(
        new ToolMissing({ tool: "gcc", neededFor: "building libkrun", fix: "apt-get install -y gcc libc6-dev" })
      )
    }
    return cargo
  })

const FETCHER_MANIFEST = `[package]
name = "krunbox-libkrun-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
libkrun = { version = "=${LIBKRUN_VERSION}", default-features = false }

[workspace]
`

/**
 * Step b, build path: `cargo fetch` a one-line project that depends on libkrun =1.19.0, copy the
 * fetched crate source into the cache (never build inside ~/.cargo/registry), build it there with
 * our init, keep libkrun.so and drop the target dir.
 */
const buildLibkrun = (paths: CachePaths, ctx: StepContext, initPath: string, target: string) =>
  Effect.gen(function* () {
    const cargo = yield* findCargo()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.dirname(cargo)}${path.delimiter}${process.env["PATH"] ?? ""}`,
      KRUN_INIT_BINARY_PATH: initPath,
      CARGO_TERM_COLOR: "never",
      CARGO_TERM_PROGRESS_WHEN: "never"
    }
    const onLine = (line: string) => ctx.emit({ step: "libkrun", status: "progress", detail: line.trim() })
    const fix = "check network access to crates.io and the build output above, then rerun `krunbox setup`"
    const fetchDir = path.join(paths.buildDir, "libkrun-fetch")
    yield* io("write", fetchDir, () => {
      fs.mkdirSync(path.join(fetchDir, "src"), { recursive: true })
      fs.writeFileSync(path.join(fetchDir, "Cargo.toml"), FETCHER_MANIFEST)
      fs.writeFileSync(path.join(fetchDir, "src", "lib.rs"), "")
    })
    yield* run(cargo, ["fetch"], { step: "libkrun", cwd: fetchDir, env, fix, onLine })
    const metadata = yield* run(cargo, ["metadata", "--format-version", "1", "--offline"], {
      step: "libkrun",
      cwd: fetchDir,
      env,
      fix
    })
    const crateManifest = (JSON.parse(metadata.stdout) as { packages: Array<{ name: string; version: string; manifest_path: string }> })
      .packages.find((p) => p.name === "libkrun" && p.version === LIBKRUN_VERSION)?.manifest_path
    if (crateManifest === undefined) {
      return yield* Effect.fail(
        new ArtifactInvalid({ path: fetchDir, problem: `cargo metadata lists no libkrun ${LIBKRUN_VERSION}`, fix })
      )
    }
    const srcDir = path.join(paths.buildDir, `libkrun-${LIBKRUN_VERSION}-src`)
    const targetDir = path.join(paths.buildDir, "target")
    const keep = (process.env["KRUNBOX_KEEP_BUILD"] ?? "") !== ""
    yield* Effect.gen(function* () {
      yield* io("copy", srcDir, () => {
        fs.rmSync(srcDir, { recursive: true, force: true })
        fs.cpSync(path.dirname(crateManifest), srcDir, { recursive: true })
      })
      ctx.emit({ step: "libkrun", status: "progress", detail: `cargo build --release --features ${LIBKRUN_FEATURES.join(",")} in ${srcDir}` })
      yield* run(cargo, ["build", "--release", "--lib", "--features", LIBKRUN_FEATURES.join(",")], {
        step: "libkrun",
        cwd: srcDir,
        env: { ...env, CARGO_TARGET_DIR: targetDir },
        fix,
        onLine
      })
      const built = path.join(targetDir, "release", "libkrun.so")
      const info = yield* io("inspect", built, () => readElfInfo(built))
      if (!info.isElf || info.type !== "shared") {
        return yield* Effect.fail(new ArtifactInvalid({ path: built, problem: "cargo produced no shared library", fix }))
      }
      yield* publishDirectory(target, (dir) =>
        io("copy", built, () => {
          fs.copyFileSync(built, path.join(dir, "libkrun.so"))
          fs.symlinkSync("libkrun.so", path.join(dir, "libkrun.so.1"))
        })
      )
    }).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          // the target dir holds GBs of intermediate objects
          if (!keep) {
            fs.rmSync(targetDir, { recursive: true, force: true })
            fs.rmSync(srcDir, { recursive: true, force: true })
          }
        })
      )
    )
  })

/** Step b: a system libkrun >= 1.17 when present, else libkrun 1.19.0 built with our init. */
export const ensureLibkrun = (paths: CachePaths, ctx: StepContext, init: { path: string; sha256: string }) =>
  Effect.gen(function* () {
    const preferBuilt = (process.env["KRUNBOX_BUILD_LIBKRUN"] ?? "") !== ""
    const system = preferBuilt ? undefined : findSystemLibkrun()
    if (system !== undefined && compareVersions(system.version, MIN_SYSTEM_LIBKRUN) >= 0) {
      ctx.emit({ step: "libkrun", status: "skip", detail: `system ${system.path} ${system.version} (via ${system.via})` })
      const entry: LibkrunEntry = {
        path: system.path,
        version: system.version,
        sha256: yield* io("hash", system.path, () => sha256File(system.path)),
        source: "system",
        features: [],
        note: SYSTEM_NOTE
      }
      return { entry, embedsOurInit: false }
    }
    const dir = builtLibkrunDir(paths, init.sha256)
    const file = path.join(dir, "libkrun.so")
    if (!ctx.force && exists(file)) {
      ctx.emit({ step: "libkrun", status: "skip", detail: file })
    } else {
      ctx.emit({
        step: "libkrun",
        status: "start",
        detail: `building libkrun ${LIBKRUN_VERSION} (features ${LIBKRUN_FEATURES.join(",")}) from crates.io; takes minutes`
      })
      yield* buildLibkrun(paths, ctx, init.path, dir)
      ctx.emit({ step: "libkrun", status: "done", detail: file })
    }
    const entry: LibkrunEntry = {
      path: file,
      version: LIBKRUN_VERSION,
      sha256: yield* io("hash", file, () => sha256File(file)),
      source: "built",
      features: [...LIBKRUN_FEATURES]
    }
    return { entry, embedsOurInit: true }
  })
