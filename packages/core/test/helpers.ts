import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit } from "effect"
import type { ConfigError } from "../src/index.js"
import { FileSystem, MicroVmConfig } from "../src/index.js"

/** A fresh temporary directory, removed when the test's scope closes. */
export const tempDir: Effect.Effect<string, never, import("effect").Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-core-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** Every problem `validate` reports, against the real filesystem. */
export const problemsOf = (
  config: MicroVmConfig.MicroVmConfig,
  options: MicroVmConfig.ValidateOptions = {}
): Effect.Effect<ReadonlyArray<ConfigError.ConfigError>> =>
  MicroVmConfig.validate(config, options).pipe(
    Effect.as([] as ReadonlyArray<ConfigError.ConfigError>),
    Effect.catchTag("InvalidMicroVmConfig", (error) => Effect.succeed(error.problems)),
    Effect.provide(FileSystem.layer)
  )

/** Runs a parser synchronously; its typed error or its value. */
export const runParse = <A, E>(effect: Effect.Effect<A, E>): Exit.Exit<A, E> => Effect.runSyncExit(effect)

export const tags = (problems: ReadonlyArray<{ readonly _tag: string }>): ReadonlyArray<string> =>
  problems.map((problem) => problem._tag)
