/**
 * The MicroVm API: build a validated configuration, then run it on an engine.
 *
 * @since 0.1.0
 */
import {
  ConfigError,
  EnvPair,
  FileSystem,
  LogLevel,
  MicroVmConfig,
  NetworkScope,
  PathPair,
  PortPair,
  Rlimit,
  Rootfs
} from "@krunbox/core"
import { constants } from "node:os"
import { Effect, Result } from "effect"
import { selectEngine } from "./engine/select.js"
import { mountsEnvReserve } from "./engine/libkrunPlan.js"
import {
  arrayOf,
  expectArgument,
  isBigint,
  isBoolean,
  isFunction,
  isNumber,
  isObject,
  isString,
  literal,
  oneOf,
  shape
} from "./internal/builderArguments.js"
import { resolveDefaultRootfs } from "./internal/defaultRootfs.js"
import { type ImageOptions, type ImagePlan, launchImageSession } from "./internal/imageRun.js"
import { type NoticeListener, notifier } from "./Notice.js"
import { collect, type RunOptions, type RunResult, type SpawnOptions, type VmProcess, VmProcessImpl } from "./VmProcess.js"

/**
 * Which engine runs the VM: `"libkrun"` (a microVM), `"gvisor"` (runsc, a user-space kernel) or
 * `"auto"` (libkrun where microVMs boot on this host, else gvisor with an `EngineFallback` notice).
 *
 * @since 0.1.0
 * @category models
 */
export type EngineChoice = "auto" | "libkrun" | "gvisor"

/**
 * How an image rootfs is obtained for each run: pull policy (`missing` by default), `insecure`,
 * `platform`, a pull progress listener, the per-run copy strategy and the store.
 *
 * @since 0.1.0
 * @category models
 */
export type { ImageOptions }

const engineChoices: ReadonlyArray<EngineChoice> = ["auto", "libkrun", "gvisor"]

const pathPair = shape({ host: isString, guest: isString, readOnly: isBoolean }, ["readOnly"])
const portPair = shape({ host: isNumber, guest: isNumber })
const envPair = shape({ key: isString, value: isString })
const linuxRlimit = shape({ resource: isNumber, name: isString, soft: isBigint, hard: isBigint })
const rootfsSource = oneOf(
  isString,
  shape({ _tag: literal("Native"), path: isString }),
  shape({ _tag: literal("Overlayfs"), paths: arrayOf(isString) }),
  shape({ _tag: literal("Image"), reference: isString })
)
const imageOptions = shape({
  pull: literal("missing", "never", "always"),
  insecure: isBoolean,
  platform: isString,
  onProgress: isFunction,
  strategy: literal("auto", "overlay", "copy"),
  store: isObject
}, ["pull", "insecure", "platform", "onProgress", "strategy", "store"])

// stands in for an image's rootfs (and its command) while build() validates the rest
const placeholderRoot = "/"

interface Draft {
  readonly logLevel?: number | string
  readonly rootfs?: Rootfs.Source
  readonly imageOptions?: ImageOptions
  readonly numVcpus?: number
  readonly memoryMib?: number
  readonly pidsLimit?: number
  readonly mappedDirs?: ReadonlyArray<string | PathPair.PathPair>
  readonly portMap?: ReadonlyArray<string | number | PortPair.PortPair>
  readonly scope?: string
  readonly ip?: string
  readonly subnet?: string
  readonly rlimits?: ReadonlyArray<string | Rlimit.LinuxRlimit>
  readonly workdirPath?: string
  readonly execPath?: string
  readonly args?: ReadonlyArray<string>
  readonly env?: ReadonlyArray<string | EnvPair.EnvPair>
  readonly consoleOutput?: string
  readonly engine?: EngineChoice
}

const parseWith = <A, E>(effect: Effect.Effect<A, E>, problems: Array<unknown>): A | undefined => {
  const result = Effect.runSync(Effect.result(effect))
  if (Result.isSuccess(result)) return result.success
  problems.push(result.failure)
  return undefined
}

/**
 * An immutable builder: every method returns a new builder. The names are the original
 * microsandbox builder's, in camelCase, plus `engine`. Values may be given as the strings the CLI
 * takes (`"./work:/work"`, `"8080:80"`, `"KEY=VALUE"`, `"RLIMIT_NOFILE=1024:2048"`) or as core's
 * typed values.
 *
 * @since 0.1.0
 * @category builders
 */
export class MicroVmBuilder {
  readonly #draft: Draft

  /** @internal */
  constructor(draft: Draft = {}) {
    this.#draft = draft
  }

  #with(patch: Draft): MicroVmBuilder {
    return new MicroVmBuilder({ ...this.#draft, ...patch })
  }

  /** libkrun's log level: 0..5 or `off`/`error`/`warn`/`info`/`debug`/`trace`. Default off. */
  logLevel(level: LogLevel.LogLevel | number | string): MicroVmBuilder {
    expectArgument("logLevel", level, oneOf(isNumber, isString), "a number 0..5 or off/error/warn/info/debug/trace", '.logLevel("debug")')
    return this.#with({ logLevel: level })
  }
  /**
   * The guest root: a directory path, `Rootfs.native(path)`, `Rootfs.overlayfs([lower..., upper])`
   * or `Rootfs.image("alpine:3.20")` (pulled when missing, a private copy per run; see
   * {@link MicroVmBuilder.image}). Default: the runtime cache's rootfs.
   */
  rootfs(rootfs: Rootfs.Source | string): MicroVmBuilder {
    expectArgument("rootfs", rootfs, rootfsSource, "a directory path, Rootfs.native(path), Rootfs.overlayfs([lower..., upper]) or Rootfs.image(ref)", '.rootfs("/srv/rootfs")')
    return this.#with({ rootfs: typeof rootfs === "string" ? Rootfs.native(rootfs) : rootfs })
  }
  /**
   * Runs an OCI image: same as `.rootfs(Rootfs.image(reference))`, plus {@link imageOptions}.
   * Each run gets a private root filesystem made from the image (the cached image never
   * changes) and the image's config applies like `docker run`: Env (entries set with `env`
   * win), WorkingDir (unless `workdirPath` is set), Entrypoint + Cmd as the command when no
   * `execPath` is set (`args` replace Cmd; an `execPath` replaces both, like `--entrypoint`).
   * The workload runs as root whatever the image's User (an `ImageUserNotApplied` notice says so).
   */
  image(reference: string, options?: ImageOptions): MicroVmBuilder {
    expectArgument("image", reference, isString, "an image reference string", '.image("alpine:3.20")')
    if (options !== undefined) expectArgument("image", options, imageOptions, "image options as its second argument", '.image("alpine:3.20", { pull: "always" })')
    return this.#with({ rootfs: Rootfs.image(reference), ...(options === undefined ? {} : { imageOptions: options }) })
  }
  /** How an image rootfs is pulled and prepared (ignored for directory rootfs). */
  imageOptions(options: ImageOptions): MicroVmBuilder {
    expectArgument("imageOptions", options, imageOptions, "an object { pull?, insecure?, platform?, onProgress?, strategy?, store? }", '.imageOptions({ pull: "always" })')
    return this.#with({ imageOptions: options })
  }
  /** Default 1. */
  numVcpus(numVcpus: number): MicroVmBuilder {
    expectArgument("numVcpus", numVcpus, isNumber, "a number", ".numVcpus(2)")
    return this.#with({ numVcpus })
  }
  /** Guest memory in MiB (default 1024); same as {@link memoryMib}. */
  ramMib(ramMib: number): MicroVmBuilder {
    expectArgument("ramMib", ramMib, isNumber, "a number of MiB", ".ramMib(512)")
    return this.#with({ memoryMib: ramMib })
  }
  /** Guest memory in MiB (default 1024). */
  memoryMib(memoryMib: number): MicroVmBuilder {
    expectArgument("memoryMib", memoryMib, isNumber, "a number of MiB", ".memoryMib(512)")
    return this.#with({ memoryMib })
  }
  /**
   * The most processes and threads the workload may have at once (default 512, core's
   * `DEFAULT_PIDS_LIMIT`): a fork bomb stops there. gVisor: the sandbox's pids cgroup (as root)
   * or its sentry's own limit (rootless); libkrun: a separate guest kernel, see docs/architecture.md.
   */
  pidsLimit(pidsLimit: number): MicroVmBuilder {
    expectArgument("pidsLimit", pidsLimit, isNumber, "a number of processes", ".pidsLimit(256)")
    return this.#with({ pidsLimit })
  }
  /** Host directories shared into the guest: `"host:guest"`, `"path"` or `PathPair`s. */
  mappedDirs(mappedDirs: ReadonlyArray<string | PathPair.PathPair>): MicroVmBuilder {
    expectArgument("mappedDirs", mappedDirs, arrayOf(oneOf(isString, pathPair)), 'an array of "host:guest" strings or { host, guest } pairs', '.mappedDirs(["./work:/work"])')
    return this.#with({ mappedDirs })
  }
  /** Host ports forwarded to guest ports: `"host:guest"`, a port number, or `PortPair`s. */
  portMap(portMap: ReadonlyArray<string | number | PortPair.PortPair>): MicroVmBuilder {
    expectArgument("portMap", portMap, arrayOf(oneOf(isString, isNumber, portPair)), 'an array of "host:guest" strings, port numbers or { host, guest } pairs', '.portMap(["8080:80"])')
    return this.#with({ portMap })
  }
  /** Which addresses the guest may reach: `none` (default), `group`, `public`, `any`. */
  scope(scope: NetworkScope.NetworkScope | string): MicroVmBuilder {
    expectArgument("scope", scope, isString, "a scope name: none, group, public or any", '.scope("any")')
    return this.#with({ scope })
  }
  ip(ip: string): MicroVmBuilder {
    expectArgument("ip", ip, isString, "an IPv4 address string", '.ip("10.0.0.2")')
    return this.#with({ ip })
  }
  subnet(subnet: string): MicroVmBuilder {
    expectArgument("subnet", subnet, isString, "a CIDR string", '.subnet("10.0.0.0/24")')
    return this.#with({ subnet })
  }
  /** `"RLIMIT_NOFILE=1024:2048"`, `"nofile=1024:unlimited"`, `"7=1024:2048"` or `LinuxRlimit`s. */
  rlimits(rlimits: ReadonlyArray<string | Rlimit.LinuxRlimit>): MicroVmBuilder {
    expectArgument("rlimits", rlimits, arrayOf(oneOf(isString, linuxRlimit)), 'an array of "NAME=SOFT:HARD" strings or LinuxRlimit values', '.rlimits(["RLIMIT_NOFILE=1024:2048"])')
    return this.#with({ rlimits })
  }
  /** The workload's working directory in the guest. */
  workdirPath(workdirPath: string): MicroVmBuilder {
    expectArgument("workdirPath", workdirPath, isString, "a guest path string", '.workdirPath("/tmp")')
    return this.#with({ workdirPath })
  }
  /** The program to run in the guest (required, except with an image that has an Entrypoint or Cmd). */
  execPath(execPath: string): MicroVmBuilder {
    expectArgument("execPath", execPath, isString, "the guest program's path, a string", '.execPath("/bin/sh")')
    return this.#with({ execPath })
  }
  /** Its arguments, without argv[0]. */
  args(args: ReadonlyArray<string>): MicroVmBuilder {
    expectArgument("args", args, arrayOf(isString), "an array of strings", '.args(["-c", "echo hi"])')
    return this.#with({ args })
  }
  /** `"KEY=VALUE"` strings or `EnvPair`s. */
  env(env: ReadonlyArray<string | EnvPair.EnvPair>): MicroVmBuilder {
    expectArgument("env", env, arrayOf(oneOf(isString, envPair)), 'an array of "KEY=VALUE" strings or { key, value } pairs', '.env(["GREETING=hi"])')
    return this.#with({ env })
  }
  /** A host file that receives the guest console (the workload's stdout and stderr) instead of the streams. */
  consoleOutput(consoleOutput: string): MicroVmBuilder {
    expectArgument("consoleOutput", consoleOutput, isString, "a host file path string", '.consoleOutput("/tmp/console.log")')
    return this.#with({ consoleOutput })
  }
  /** Default `"auto"`. */
  engine(engine: EngineChoice): MicroVmBuilder {
    expectArgument("engine", engine, literal(...engineChoices), '"auto", "libkrun" or "gvisor"', '.engine("gvisor")')
    return this.#with({ engine })
  }

  /**
   * Parses and validates everything, reporting every problem at once.
   *
   * For an image rootfs, build() checks the reference's syntax and everything that does not
   * depend on the image; each run then pulls the image if needed, resolves the command, Env and
   * WorkingDir and validates the result again (a failure there rejects `exited`).
   *
   * @throws core's `InvalidMicroVmConfig` (its `problems` are core's `ConfigError`s, each with a
   *   `_tag`; `InvalidImageReference` for a malformed image reference), or
   *   `DefaultRootfsUnavailable` when no rootfs was given and `krunbox setup` has not been run.
   */
  build(): MicroVm {
    const draft = this.#draft
    const problems: Array<unknown> = []
    const logLevel = draft.logLevel === undefined
      ? undefined
      : typeof draft.logLevel === "number"
      ? parseWith(LogLevel.fromNumber(draft.logLevel), problems)
      : parseWith(LogLevel.parse(draft.logLevel), problems)
    const scope = draft.scope === undefined ? undefined : parseWith(NetworkScope.parse(draft.scope), problems)
    const mappedDirs = draft.mappedDirs?.map((item) => typeof item === "string" ? parseWith(PathPair.parse(item), problems) : item)
    const portMap = draft.portMap?.map((item) =>
      typeof item === "string"
        ? parseWith(PortPair.parse(item), problems)
        : typeof item === "number"
        ? PortPair.same(item)
        : item
    )
    const rlimits = draft.rlimits?.map((item) => typeof item === "string" ? parseWith(Rlimit.parse(item), problems) : item)
    const env = draft.env?.map((item) => typeof item === "string" ? parseWith(EnvPair.parse(item), problems) : item)
    const image = draft.rootfs !== undefined && Rootfs.isImage(draft.rootfs) ? parseWith(Rootfs.parseImage(draft.rootfs.reference), problems) : undefined
    const explicit = new Set(Object.keys(draft).filter((key) => draft[key as keyof Draft] !== undefined))
    if (problems.length > 0) throw invalid(problems)

    let rootfs: Rootfs.Rootfs
    if (draft.rootfs === undefined) rootfs = Rootfs.native(resolveDefaultRootfs())
    else if (Rootfs.isImage(draft.rootfs)) rootfs = Rootfs.native(placeholderRoot)
    else rootfs = draft.rootfs

    const config = MicroVmConfig.make({
      rootfs,
      execPath: draft.execPath ?? (image === undefined ? "" : placeholderRoot),
      logLevel,
      numVcpus: draft.numVcpus,
      memoryMib: draft.memoryMib,
      pidsLimit: draft.pidsLimit,
      mappedDirs: mappedDirs as ReadonlyArray<PathPair.PathPair> | undefined,
      portMap: portMap as ReadonlyArray<PortPair.PortPair> | undefined,
      scope,
      ip: draft.ip,
      subnet: draft.subnet,
      rlimits: rlimits as ReadonlyArray<Rlimit.LinuxRlimit> | undefined,
      workdirPath: draft.workdirPath,
      args: draft.args,
      env: env as ReadonlyArray<EnvPair.EnvPair> | undefined,
      consoleOutput: draft.consoleOutput
    })
    const validated = Effect.runSync(
      Effect.result(
        MicroVmConfig.validate(config, { reserve: mountsEnvReserve(config.mappedDirs) }).pipe(
          Effect.provide(FileSystem.layer)
        )
      )
    )
    if (Result.isFailure(validated)) throw validated.failure
    if (image === undefined) return new MicroVm(validated.success, draft.engine ?? "auto", explicit)
    const plan: ImagePlan = {
      reference: image.reference,
      options: draft.imageOptions ?? {},
      execPath: draft.execPath,
      workdirPath: draft.workdirPath
    }
    // an unset execPath stays empty: each run takes the command from the image
    return new MicroVm(MicroVmConfig.make({ ...validated.success, execPath: draft.execPath ?? "" }), draft.engine ?? "auto", explicit, plan)
  }
}

// parse failures are core ConfigErrors too: report them the way validation reports its problems
const invalid = (problems: ReadonlyArray<unknown>): ConfigError.InvalidMicroVmConfig =>
  new ConfigError.InvalidMicroVmConfig({
    problems: problems as unknown as readonly [ConfigError.ConfigError, ...Array<ConfigError.ConfigError>]
  })

/**
 * A validated MicroVm configuration bound to an engine choice. Each `start`/`spawn`/`run` boots
 * a fresh VM from it.
 *
 * @example
 * ```ts
 * import { MicroVm } from "@krunbox/sdk"
 *
 * const vm = MicroVm.builder().execPath("/bin/sh").args(["-c", "echo hi; exit 3"]).build()
 * const status = await vm.start() // 3
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class MicroVm {
  /** The image this VM runs (`Rootfs.image(...)`), or undefined for a directory rootfs. */
  readonly image: Rootfs.Image | undefined
  readonly #imagePlan: ImagePlan | undefined

  /** @internal */
  constructor(
    /**
     * The validated configuration (core's `MicroVmConfig`). For an image rootfs, `rootfs` is a
     * placeholder (`/`) and `execPath` is empty unless set: each run resolves them from the image.
     */
    readonly config: MicroVmConfig.MicroVmConfig,
    /** The engine choice; the engine actually used is in each `ExitInfo`. */
    readonly engineChoice: EngineChoice,
    /** @internal options the user set explicitly */
    readonly explicitOptions: ReadonlySet<string>,
    imagePlan?: ImagePlan
  ) {
    this.#imagePlan = imagePlan
    this.image = imagePlan === undefined ? undefined : Rootfs.image(imagePlan.reference)
  }

  /**
   * @since 0.1.0
   * @category constructors
   */
  static builder(): MicroVmBuilder {
    return new MicroVmBuilder()
  }

  /**
   * Starts a VM; its output streams are returned as specified (default `"pipe"`). With an image
   * rootfs the image is pulled (when missing) and prepared first: kill(), a timeout or an abort
   * also stop that, and the run's private rootfs is removed before `exited` settles.
   *
   * @since 0.1.0
   */
  spawn(options: SpawnOptions = {}): VmProcess {
    const plan = this.#imagePlan
    const notify = notifier(options.onNotice)
    return new VmProcessImpl(async () => {
      const engine = await selectEngine(this.engineChoice, notify)
      if (plan !== undefined) return launchImageSession(engine, this.config, plan, this.explicitOptions, notify)
      return engine.launch(this.config, { explicit: this.explicitOptions, onNotice: notify })
    }, options)
  }

  /**
   * Runs the VM to its end with the guest's output on this process's stdout/stderr, and returns
   * the guest's exit status (128+n when the VM was ended by signal n, e.g. on timeout).
   *
   * @since 0.1.0
   */
  async start(
    options: { readonly signal?: AbortSignal; readonly timeoutMs?: number; readonly onNotice?: NoticeListener } = {}
  ): Promise<number> {
    const info = await this.spawn({ ...options, stdout: "inherit", stderr: "inherit" }).exited
    if (info.status !== null) return info.status
    const number = info.signal === null ? undefined : constants.signals[info.signal as NodeJS.Signals]
    return 128 + (number ?? 9)
  }

  /**
   * Runs the VM to its end and returns its output, buffered (up to `maxBufferBytes` per stream).
   *
   * @since 0.1.0
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const max = options.maxBufferBytes ?? 16 * 1024 * 1024
    const spawnOptions: SpawnOptions = {
      stdout: "pipe",
      stderr: "pipe",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice })
    }
    const child = this.spawn(spawnOptions)
    const stdout = collect(child.stdout, max)
    const stderr = collect(child.stderr, max)
    const info = await child.exited
    const [out, err] = await Promise.all([stdout.done, stderr.done])
    return { ...info, stdout: out.text, stderr: err.text, truncated: out.truncated || err.truncated }
  }
}
