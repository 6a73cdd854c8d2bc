import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import type { InitEntry } from "../Manifest.js"
import { ArtifactInvalid, InitSourcesMissing, ToolMissing } from "../SetupError.js"
import { readElfInfo } from "./elf.js"
import { exists, io, publishDirectory, sha256File, sha256Text } from "./files.js"
import { run, which } from "./process.js"
import type { StepContext } from "./progress.js"

export const INIT_PROTOCOL_VERSION = 1
export const INIT_BINARY_NAME = "krunbox-init"
const INIT_SOURCES = ["krunbox_init.h", "protocol.c", "ports.c", "main.c"] as const
const CFLAGS = ["-O2", "-static", "-s", "-Wall", "-Wextra"] as const

/**
 * Finds packages/sdk/native/krunbox-init from this module: src/runtime/internal (tests, tsx) and
 * dist/ (the bundle) sit at different depths, so walk up. KRUNBOX_INIT_SOURCE_DIR overrides.
 */
export const initSourceDir = (): Effect.Effect<string, InitSourcesMissing> => {
  const override = process.env["KRUNBOX_INIT_SOURCE_DIR"]
  const searched: Array<string> = []
  if (override !== undefined && override !== "") {
    if (exists(path.join(override, "main.c"))) return Effect.succeed(override)
    searched.push(override)
  } else {
    let dir = path.dirname(fileURLToPath(import.meta.url))
    for (let i = 0; i < 6; i++) {
      const candidate = path.join(dir, "native", "krunbox-init")
      searched.push(candidate)
      if (exists(path.join(candidate, "main.c"))) return Effect.succeed(candidate)
      if (path.dirname(dir) === dir) break
      dir = path.dirname(dir)
    }
  }
  return Effect.fail(
    new InitSourcesMissing({
      searched,
      fix: "reinstall @krunbox/sdk (its package must ship native/), or set KRUNBOX_INIT_SOURCE_DIR to packages/sdk/native/krunbox-init"
    })
  )
}

/** sha256 over the init's sources and compiler flags: the cache key of the built init. */
export const initSourceSha = (dir: string): string =>
  sha256Text(
    [CFLAGS.join(" "), ...INIT_SOURCES.map((name) => `${name}\0${fs.readFileSync(path.join(dir, name), "utf8")}`)].join(
      "\0"
    )
  )

export const expectedInitPath = (paths: CachePaths, sourceSha: string): string =>
  path.join(paths.initDir, sourceSha.slice(0, 12), INIT_BINARY_NAME)

const verifyStatic = (file: string) => {
  const info = readElfInfo(file)
  if (!info.isElf || info.type !== "executable" || info.hasInterpreter || info.hasDynamicSection) {
    return Effect.fail(
      new ArtifactInvalid({
        path: file,
        problem: `not a statically linked executable (elf=${info.isElf} type=${info.type} interp=${info.hasInterpreter} dynamic=${info.hasDynamicSection})`,
        fix: "install the static C library (apt-get install libc6-dev) and run `krunbox setup --force`"
      })
    )
  }
  return Effect.void
}

/** Step a: build the static guest init into init/<sha12>/krunbox-init. */
export const ensureInit = (paths: CachePaths, ctx: StepContext) =>
  Effect.gen(function* () {
    const sourceDir = yield* initSourceDir()
    const sourceSha = yield* io("read", sourceDir, () => initSourceSha(sourceDir))
    const target = expectedInitPath(paths, sourceSha)
    if (!ctx.force && exists(target)) {
      yield* verifyStatic(target)
      ctx.emit({ step: "init", status: "skip", detail: target })
    } else {
      ctx.emit({ step: "init", status: "start", detail: `gcc ${CFLAGS.join(" ")} ${sourceDir}` })
      const gcc = which("gcc")
      if (gcc === undefined) {
        return yield* Effect.fail(
          new ToolMissing({ tool: "gcc", neededFor: "building the guest init", fix: "apt-get install -y gcc libc6-dev" })
        )
      }
      yield* publishDirectory(path.dirname(target), (dir) =>
        Effect.gen(function* () {
          const out = path.join(dir, INIT_BINARY_NAME)
          yield* run(gcc, [...CFLAGS, "-o", out, ...INIT_SOURCES.filter((n) => n.endsWith(".c"))], {
            step: "init",
            cwd: sourceDir,
            fix: "apt-get install -y gcc libc6-dev (static libc), then run `krunbox setup --force`"
          })
          yield* verifyStatic(out)
        })
      )
      ctx.emit({ step: "init", status: "done", detail: target })
    }
    const entry: InitEntry = {
      path: target,
      sha256: yield* io("hash", target, () => sha256File(target)),
      protocol: INIT_PROTOCOL_VERSION,
      embeddedInLibkrun: false
    }
    return { entry, sourceSha }
  })
