import * as fs from "node:fs"
import * as path from "node:path"
import { InitSources } from "@krunbox/guest"
import { Effect } from "effect"
import type { CachePaths } from "../CachePaths.js"
import type { InitEntry } from "../Manifest.js"
import { ArtifactInvalid, InitSourcesMissing, ToolMissing } from "../SetupError.js"
import { readElfInfo } from "./elf.js"
import { exists, io, publishDirectory, sha256File, sha256Text } from "./files.js"
import { run, which } from "./process.js"
import type { StepContext } from "./progress.js"

export const INIT_PROTOCOL_VERSION = 1
export const INIT_BINARY_NAME = InitSources.binaryName
const CFLAGS = InitSources.cflags

/** @krunbox/guest's native/krunbox-init; KRUNBOX_INIT_SOURCE_DIR overrides. */
export const initSourceDir = (): Effect.Effect<string, InitSourcesMissing> => {
  const override = process.env["KRUNBOX_INIT_SOURCE_DIR"]
  const dir = override !== undefined && override !== "" ? override : InitSources.directory
  if (InitSources.isSourceDirectory(dir)) return Effect.succeed(dir)
  return Effect.fail(
    new InitSourcesMissing({
      searched: [dir],
      fix: "reinstall @krunbox/guest (its package must ship native/), or set KRUNBOX_INIT_SOURCE_DIR to packages/guest/native/krunbox-init"
    })
  )
}

/** sha256 over the init's sources and compiler flags: the cache key of the built init. */
export const initSourceSha = (dir: string): string =>
  sha256Text(
    [CFLAGS.join(" "), ...InitSources.files.map((name) => `${name}\0${fs.readFileSync(path.join(dir, name), "utf8")}`)].join(
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
          yield* run(gcc, [...CFLAGS, "-o", out, ...InitSources.compileUnits], {
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
