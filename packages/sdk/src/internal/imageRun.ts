/**
 * Runs of an image rootfs: at spawn time the image is pulled when missing and turned into a
 * private directory (ImageStore.prepareRootfs), its config (Env, WorkingDir, Entrypoint/Cmd,
 * User) is merged with what the user set, the result is validated by core like any other
 * config, and the engine runs it with a Native rootfs. The private directory is removed when the
 * run ends, whichever way it ends.
 */
import { type EnvPair, FileSystem, MicroVmConfig, Rootfs } from "@krunbox/core"
import { Effect, Result } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import type { Engine, EngineEnd, EngineSession } from "../engine/Engine.js"
import { mountsEnvReserve } from "../engine/libkrunPlan.js"
import { type EngineName, ImageHasNoCommand, KrunboxError } from "../errors.js"
import { imageUserNotApplied, type Notice, runRootfsNotRemoved } from "../Notice.js"
import { ImageConfig, ImageStore, type PreparedRootfs, type PullEvent, type RootfsStrategy } from "@krunbox/image"
import type { VmConfig } from "./config.js"

/**
 * How an image rootfs is obtained for each run.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageOptions {
  /** `missing` (default): pull when not in the store; `never`: fail with ImageNotPulled; `always`: pull on every run */
  readonly pull?: "missing" | "never" | "always" | undefined
  /** plain HTTP for a non-loopback registry (loopback registries always use plain HTTP) */
  readonly insecure?: boolean | undefined
  /** `os/arch[/variant]` to pull; default this host's platform */
  readonly platform?: string | undefined
  /** progress of a pull (only called when the image is pulled) */
  readonly onProgress?: ((event: PullEvent) => void) | undefined
  /** how each run's private copy is made: `overlay` (root only), `copy`, or `auto` (default) */
  readonly strategy?: "auto" | RootfsStrategy | undefined
  /** the image store; default `ImageStore.open()` (`images/` in the krunbox cache) */
  readonly store?: ImageStore | undefined
}

/** What build() keeps for an image rootfs: the reference and the values the user set. */
export interface ImagePlan {
  readonly reference: string
  readonly options: ImageOptions
  readonly execPath: string | undefined
  readonly workdirPath: string | undefined
}

/** The image's environment with the user's entries replacing those of the same name. */
export const mergeEnv = (
  image: ReadonlyArray<EnvPair.EnvPair>,
  user: ReadonlyArray<EnvPair.EnvPair>
): ReadonlyArray<EnvPair.EnvPair> => {
  const overridden = new Set(user.map((pair) => pair.key))
  return [...image.filter((pair) => !overridden.has(pair.key)), ...user]
}

/**
 * The argv of a run, the way `docker run` builds it: an execPath replaces the image's
 * Entrypoint and Cmd (`--entrypoint`); otherwise args replace Cmd and follow the Entrypoint.
 */
export const runArgv = (
  config: ImageConfig.ImageRunConfig,
  execPath: string | undefined,
  args: ReadonlyArray<string>
): ReadonlyArray<string> =>
  execPath !== undefined ? [execPath, ...args] : ImageConfig.command(config, { args })

/**
 * Creates the image's WorkingDir in the run's private rootfs when the image lacks it, as Docker
 * does. Symlinks on the way are followed inside the rootfs only; anything odd (a file in the
 * way, a link leaving the rootfs) leaves it to the engine to report.
 */
export const ensureWorkingDir = (rootfsDir: string, workingDir: string): void => {
  if (ImageConfig.resolveInRootfs(rootfsDir, workingDir) !== undefined) return
  let guest = "/"
  for (const part of path.posix.normalize(`/${workingDir}`).split("/")) {
    if (part === "" || part === "." || part === "..") continue
    const next = path.posix.join(guest, part)
    const resolved = ImageConfig.resolveInRootfs(rootfsDir, next)
    if (resolved === undefined) {
      const parent = ImageConfig.resolveInRootfs(rootfsDir, guest)
      if (parent === undefined || !parent.stats.isDirectory()) return
      try {
        fs.mkdirSync(path.join(parent.hostPath, part), { mode: 0o755 })
      } catch {
        return
      }
    } else if (!resolved.stats.isDirectory()) {
      return
    }
    guest = next
  }
}

/**
 * Both engines run the workload as root (uid 0). An image that asks for another user still runs
 * (the VM or gVisor sandbox is the isolation boundary, not the uid inside it), with a notice so
 * that the difference is never silent.
 */
const noticeUser = (
  notify: (notice: Notice) => void,
  engine: EngineName,
  reference: string,
  rootfsDir: string,
  user: string | undefined
): void => {
  if (user === undefined) return
  try {
    const id = ImageConfig.resolveUser(rootfsDir, user)
    if (id.uid === 0 && id.gid === 0) return
  } catch {
    // a user the image cannot resolve is still not root
  }
  notify(imageUserNotApplied(reference, user, engine))
}

/**
 * The config of one run: the build-time config with the image's rootfs, command, environment and
 * working directory, validated by core (the image's Env counts against the guest command line).
 */
export const resolveRunConfig = (
  base: VmConfig,
  plan: ImagePlan,
  prepared: Pick<PreparedRootfs, "rootfsDir" | "config">,
  reference: string
): VmConfig => {
  const argv = runArgv(prepared.config, plan.execPath, base.args)
  const [execPath, ...args] = argv
  if (execPath === undefined) throw new ImageHasNoCommand({ reference })
  const workingDir = prepared.config.workingDir
  if (plan.workdirPath === undefined && workingDir !== undefined) ensureWorkingDir(prepared.rootfsDir, workingDir)
  const config = MicroVmConfig.make({
    ...base,
    rootfs: Rootfs.native(prepared.rootfsDir),
    execPath,
    args,
    env: mergeEnv(ImageConfig.envPairs(prepared.config), base.env),
    workdirPath: plan.workdirPath ?? workingDir
  })
  const validated = Effect.runSync(
    Effect.result(
      MicroVmConfig.validate(config, { reserve: mountsEnvReserve(config.mappedDirs) }).pipe(Effect.provide(FileSystem.layer))
    )
  )
  if (Result.isFailure(validated)) throw validated.failure
  return validated.success
}

const asFailure = (error: unknown): KrunboxError => error as KrunboxError

/**
 * An engine session for an image run. It exists at once, so that kill(), a timeout or an abort
 * during the pull are handled like any other kill; the engine's own session starts once the
 * rootfs is ready. `ended` settles after the engine's session ended and the private rootfs is
 * gone.
 */
export const launchImageSession = (
  engine: Engine,
  base: VmConfig,
  plan: ImagePlan,
  explicit: ReadonlySet<string>,
  notify: (notice: Notice) => void
): EngineSession => {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const abort = new AbortController()
  const readyListeners: Array<() => void> = []
  let ready = false
  let inner: EngineSession | undefined
  let killSignal: NodeJS.Signals | undefined

  const markReady = () => {
    if (ready) return
    ready = true
    for (const listener of readyListeners.splice(0)) listener()
  }

  const run = async (): Promise<EngineEnd> => {
    const options = plan.options
    const store = options.store ?? ImageStore.open()
    let prepared: PreparedRootfs | undefined
    try {
      prepared = await store.prepareRootfs(plan.reference, {
        pull: options.pull,
        insecure: options.insecure,
        platform: options.platform,
        onProgress: options.onProgress,
        strategy: options.strategy,
        signal: abort.signal
      })
      if (killSignal !== undefined) return { _tag: "Signaled", signal: killSignal }
      const config = resolveRunConfig(base, plan, prepared, plan.reference)
      noticeUser(notify, engine.name, plan.reference, prepared.rootfsDir, prepared.config.user)
      // the private rootfs is used in place, like a rootfs the user named
      inner = await engine.launch(config, { explicit: new Set([...explicit, "rootfs"]), onNotice: notify })
      if (killSignal !== undefined) inner.kill(killSignal)
      inner.onReady(markReady)
      inner.stdout.pipe(stdout)
      inner.stderr.pipe(stderr)
      return await inner.ended
    } catch (error) {
      if (killSignal !== undefined) return { _tag: "Signaled", signal: killSignal }
      return { _tag: "Failed", error: asFailure(error) }
    } finally {
      if (inner === undefined) {
        stdout.end()
        stderr.end()
      }
      if (prepared !== undefined) {
        const { rootfsDir } = prepared
        await prepared.dispose().catch((error: unknown) => {
          // the run dir names this process as its owner: the next prune or run removes it
          notify(runRootfsNotRemoved(rootfsDir, String(error)))
        })
      }
    }
  }
  let over = false
  const ended = run().finally(() => {
    over = true
  })

  return {
    engine: engine.name,
    get pid() {
      return inner?.pid
    },
    stdout,
    stderr,
    onReady: (listener) => {
      if (ready) listener()
      else readyListeners.push(listener)
    },
    kill: (signal) => {
      if (inner !== undefined) return inner.kill(signal)
      if (over) return false
      killSignal ??= signal
      abort.abort()
      return true
    },
    ended
  }
}
