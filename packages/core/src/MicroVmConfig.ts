/**
 * The configuration of one microVM: plain immutable data, a typed builder, a
 * JSON codec, and validation that reports every problem at once.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { dirname, resolve } from "node:path"
import * as CommandLine from "./CommandLine.js"
import type { EnvPair } from "./EnvPair.js"
import { isValidKey } from "./EnvPair.js"
import {
  CommandLineTooLong,
  type ConfigError,
  ConflictingGuestPaths,
  ConsoleOutputFolderMissing,
  ConsoleOutputIsADirectory,
  DoubleDashArgument,
  DuplicateGuestPort,
  DuplicateHostPort,
  EmptyOverlayfs,
  GuestPathEscapesRoot,
  GuestPathIsRoot,
  GuestPathNotAbsolute,
  HostPathDoesNotExist,
  HostPathNotADirectory,
  InvalidCidr,
  InvalidCommandLineString,
  InvalidEnvKey,
  InvalidIpv4,
  InvalidLogLevel,
  InvalidMicroVmConfig,
  InvalidNetworkScope,
  InvalidNumber,
  InvalidPort,
  InvalidRlimitResource,
  InvalidRlimitValue,
  IpOutsideSubnet,
  MalformedConfig,
  MemoryIsZero,
  MissingRequiredField,
  NulCharacterInPath,
  NumVCPUsIsZero,
  PortMapWithoutNetwork,
  QuoteInCommandLineString,
  ReservedEnvKey,
  RlimitSoftExceedsHard,
  RootPathDoesNotExist,
  RootPathNotADirectory,
  SpaceInUnquotedValue,
  TooManyMappedDirs,
  TooManyVCPUs
} from "./errors.js"
import { FileSystem } from "./FileSystem.js"
import { firstInvalidCharacter } from "./internal/commandLineString.js"
import { normalizeAbsolute, overlap } from "./internal/guestPath.js"
import { cidrFromString, toNumber as ipv4ToNumber } from "./internal/ipv4.js"
import { contains as subnetContains } from "./Ipv4.js"
import type { LogLevel } from "./LogLevel.js"
import { isLogLevel } from "./LogLevel.js"
import type { NetworkScope } from "./NetworkScope.js"
import { defaultScope, isNetworkScope } from "./NetworkScope.js"
import type { PathPair } from "./PathPair.js"
import { format as formatPortPair, type PortPair } from "./PortPair.js"
import type { LinuxRlimit } from "./Rlimit.js"
import { RLIM_INFINITY, resourceNames } from "./Rlimit.js"
import type { Rootfs } from "./Rootfs.js"

// ---------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------

/**
 * Everything needed to boot one microVM and run one program in it.
 *
 * @since 0.1.0
 * @category models
 */
export interface MicroVmConfig {
  /** libkrun's log level, 0..5 (Off..Trace). Default Off. */
  readonly logLevel: LogLevel
  readonly rootfs: Rootfs
  /** Default 1. */
  readonly numVcpus: number
  /** Default 1024. */
  readonly memoryMib: number
  /**
   * The most processes and threads the workload may have at once (default
   * {@link DEFAULT_PIDS_LIMIT}): a fork bomb stops there instead of exhausting the host.
   */
  readonly pidsLimit: number
  /** Host directories shared into the guest with virtio-fs. */
  readonly mappedDirs: ReadonlyArray<PathPair>
  /** Host ports forwarded to guest ports. */
  readonly portMap: ReadonlyArray<PortPair>
  /** Default `"none"`; see {@link NetworkScope}. */
  readonly scope: NetworkScope
  /** Guest IPv4 address. */
  readonly ip: string | undefined
  /** Guest IPv4 subnet, CIDR. */
  readonly subnet: string | undefined
  readonly rlimits: ReadonlyArray<LinuxRlimit>
  /** Working directory of the program, in the guest. */
  readonly workdirPath: string | undefined
  /** The program to run, in the guest. */
  readonly execPath: string
  /** Its arguments (without argv[0]). */
  readonly args: ReadonlyArray<string>
  readonly env: ReadonlyArray<EnvPair>
  /** Host file that receives the guest console. */
  readonly consoleOutput: string | undefined
}

/**
 * What {@link make} takes: `rootfs` and `execPath`, and any other field.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly rootfs: Rootfs
  readonly execPath: string
  readonly logLevel?: LogLevel | undefined
  readonly numVcpus?: number | undefined
  readonly memoryMib?: number | undefined
  readonly pidsLimit?: number | undefined
  readonly mappedDirs?: ReadonlyArray<PathPair> | undefined
  readonly portMap?: ReadonlyArray<PortPair> | undefined
  readonly scope?: NetworkScope | undefined
  readonly ip?: string | undefined
  readonly subnet?: string | undefined
  readonly rlimits?: ReadonlyArray<LinuxRlimit> | undefined
  readonly workdirPath?: string | undefined
  readonly args?: ReadonlyArray<string> | undefined
  readonly env?: ReadonlyArray<EnvPair> | undefined
  readonly consoleOutput?: string | undefined
}

/**
 * Default vCPU count (the original's `DEFAULT_NUM_VCPUS`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_NUM_VCPUS = 1

/**
 * Default memory in MiB (the original's `DEFAULT_MEMORY_MIB`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MEMORY_MIB = 1024

/**
 * Default process limit of a VM: 512 processes and threads. Every VM gets one (a gVisor sandbox
 * had none, and a fork bomb reached 17,600 host threads); raise it with `pidsLimit` for
 * workloads that need more.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PIDS_LIMIT = 512

/**
 * The largest process limit: Linux's own ceiling on pid numbers (`PID_MAX_LIMIT`, 2^22).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PIDS_LIMIT = 4_194_304

/**
 * libkrun takes the vCPU count as a `uint8_t`.
 *
 * @since 0.1.0
 * @category constants
 */
export const LIBKRUN_MAX_VCPUS = 255

/**
 * libkrun takes the memory size as a `uint32_t` MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const LIBKRUN_MAX_MEMORY_MIB = 0xffff_ffff

const freezeArray = <A>(items: ReadonlyArray<A> | undefined): ReadonlyArray<A> =>
  Object.freeze(items === undefined ? [] : [...items])

/**
 * Builds a configuration from a plain object, filling in defaults. It does
 * not validate: run {@link validate} before handing it to an engine.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input): MicroVmConfig =>
  Object.freeze({
    logLevel: input.logLevel ?? 0,
    rootfs: input.rootfs,
    numVcpus: input.numVcpus ?? DEFAULT_NUM_VCPUS,
    memoryMib: input.memoryMib ?? DEFAULT_MEMORY_MIB,
    pidsLimit: input.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    mappedDirs: freezeArray(input.mappedDirs),
    portMap: freezeArray(input.portMap),
    scope: input.scope ?? defaultScope,
    ip: input.ip,
    subnet: input.subnet,
    rlimits: freezeArray(input.rlimits),
    workdirPath: input.workdirPath,
    execPath: input.execPath,
    args: freezeArray(input.args),
    env: freezeArray(input.env),
    consoleOutput: input.consoleOutput
  })

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

type Draft = { -readonly [K in keyof Input]?: Input[K] }

/**
 * An immutable builder. `build()` exists on the type only once `rootfs` and
 * `execPath` are set; called anyway (from untyped code), it throws
 * {@link MissingRequiredField}.
 *
 * @since 0.1.0
 * @category builders
 */
export class MicroVmConfigBuilder<HasRootfs extends boolean = false, HasExecPath extends boolean = false> {
  /** @internal */
  declare readonly _phantom: [HasRootfs, HasExecPath]
  readonly #draft: Draft

  /** @internal */
  constructor(draft: Draft = {}) {
    this.#draft = draft
  }

  #with<R extends boolean, E extends boolean>(patch: Draft): MicroVmConfigBuilder<R, E> {
    return new MicroVmConfigBuilder<R, E>({ ...this.#draft, ...patch })
  }

  /**
   * libkrun's log level (default Off).
   *
   * @since 0.1.0
   */
  logLevel(logLevel: LogLevel): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ logLevel })
  }
  /**
   * The root filesystem (required).
   *
   * @since 0.1.0
   */
  rootfs(rootfs: Rootfs): MicroVmConfigBuilder<true, HasExecPath> {
    return this.#with({ rootfs })
  }
  /**
   * Number of vCPUs (default 1).
   *
   * @since 0.1.0
   */
  numVcpus(numVcpus: number): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ numVcpus })
  }
  /**
   * Memory in MiB (default 1024).
   *
   * @since 0.1.0
   */
  memoryMib(memoryMib: number): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ memoryMib })
  }
  /**
   * The most processes and threads at once (default {@link DEFAULT_PIDS_LIMIT}).
   *
   * @since 0.1.0
   */
  pidsLimit(pidsLimit: number): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ pidsLimit })
  }
  /**
   * Host directories to share into the guest.
   *
   * @since 0.1.0
   */
  mappedDirs(mappedDirs: ReadonlyArray<PathPair>): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ mappedDirs })
  }
  /**
   * Host ports to forward to guest ports (needs a scope other than `none`).
   *
   * @since 0.1.0
   */
  portMap(portMap: ReadonlyArray<PortPair>): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ portMap })
  }
  /**
   * Network scope (default `none`).
   *
   * @since 0.1.0
   */
  scope(scope: NetworkScope): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ scope })
  }
  /**
   * The guest's IPv4 address.
   *
   * @since 0.1.0
   */
  ip(ip: string): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ ip })
  }
  /**
   * The guest's IPv4 subnet (CIDR).
   *
   * @since 0.1.0
   */
  subnet(subnet: string): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ subnet })
  }
  /**
   * Resource limits for the program.
   *
   * @since 0.1.0
   */
  rlimits(rlimits: ReadonlyArray<LinuxRlimit>): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ rlimits })
  }
  /**
   * Working directory of the program, in the guest.
   *
   * @since 0.1.0
   */
  workdirPath(workdirPath: string): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ workdirPath })
  }
  /**
   * The program to run, in the guest (required).
   *
   * @since 0.1.0
   */
  execPath(execPath: string): MicroVmConfigBuilder<HasRootfs, true> {
    return this.#with({ execPath })
  }
  /**
   * Arguments of the program (without argv[0]).
   *
   * @since 0.1.0
   */
  args(args: ReadonlyArray<string>): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ args })
  }
  /**
   * Environment variables of the program.
   *
   * @since 0.1.0
   */
  env(env: ReadonlyArray<EnvPair>): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ env })
  }
  /**
   * Host file that receives the guest console.
   *
   * @since 0.1.0
   */
  consoleOutput(consoleOutput: string): MicroVmConfigBuilder<HasRootfs, HasExecPath> {
    return this.#with({ consoleOutput })
  }

  /**
   * The configuration (unvalidated). Only on the type once `rootfs` and
   * `execPath` are set; throws {@link MissingRequiredField} if called anyway.
   *
   * @since 0.1.0
   */
  build(this: MicroVmConfigBuilder<true, true>): MicroVmConfig {
    const draft = this.#draft
    if (draft.rootfs === undefined) throw new MissingRequiredField({ field: "rootfs" })
    if (draft.execPath === undefined) throw new MissingRequiredField({ field: "execPath" })
    return make({ ...draft, rootfs: draft.rootfs, execPath: draft.execPath })
  }
}

/**
 * Starts a builder; `rootfs` and `execPath` are required before `build()`.
 *
 * @example
 * ```ts
 * import { MicroVmConfig, Rootfs } from "@krunbox/core"
 *
 * const config = MicroVmConfig.builder()
 *   .rootfs(Rootfs.native("/srv/rootfs"))
 *   .execPath("/bin/echo")
 *   .args(["hello"])
 *   .build()
 * ```
 *
 * @since 0.1.0
 * @category builders
 */
export const builder = (): MicroVmConfigBuilder<false, false> => new MicroVmConfigBuilder()

// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

const makeStructure = <Big extends Schema.Top>(big: Big) =>
  Schema.Struct({
    logLevel: Schema.Number,
    rootfs: Schema.Union([
      Schema.TaggedStruct("Native", { path: Schema.String }),
      Schema.TaggedStruct("Overlayfs", { paths: Schema.Array(Schema.String) })
    ]),
    numVcpus: Schema.Number,
    memoryMib: Schema.Number,
    pidsLimit: Schema.Number,
    mappedDirs: Schema.Array(Schema.Struct({ host: Schema.String, guest: Schema.String, readOnly: Schema.optional(Schema.Literal(true)) })),
    portMap: Schema.Array(Schema.Struct({ host: Schema.Number, guest: Schema.Number })),
    scope: Schema.String,
    ip: Schema.UndefinedOr(Schema.String),
    subnet: Schema.UndefinedOr(Schema.String),
    rlimits: Schema.Array(Schema.Struct({ resource: Schema.Number, name: Schema.String, soft: big, hard: big })),
    workdirPath: Schema.UndefinedOr(Schema.String),
    execPath: Schema.String,
    args: Schema.Array(Schema.String),
    env: Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.String })),
    consoleOutput: Schema.UndefinedOr(Schema.String)
  })

/**
 * The shape of a {@link MicroVmConfig}: field types only. Which values are
 * allowed is {@link validate}'s job (it gives better errors than a schema).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Structure = makeStructure(Schema.BigInt)

/**
 * The JSON form of a {@link MicroVmConfig}: rlimit values as decimal strings;
 * `undefined` fields may be left out.
 *
 * @since 0.1.0
 * @category models
 */
export interface Json {
  readonly logLevel: number
  readonly rootfs: { readonly _tag: "Native"; readonly path: string } | {
    readonly _tag: "Overlayfs"
    readonly paths: ReadonlyArray<string>
  }
  readonly numVcpus: number
  readonly memoryMib: number
  readonly pidsLimit?: number
  readonly mappedDirs: ReadonlyArray<{ readonly host: string; readonly guest: string; readonly readOnly?: true }>
  readonly portMap: ReadonlyArray<{ readonly host: number; readonly guest: number }>
  readonly scope: string
  readonly ip?: string
  readonly subnet?: string
  readonly rlimits: ReadonlyArray<
    { readonly resource: number; readonly name: string; readonly soft: string; readonly hard: string }
  >
  readonly workdirPath?: string
  readonly execPath: string
  readonly args: ReadonlyArray<string>
  readonly env: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly consoleOutput?: string
}

const JsonStructure = makeStructure(Schema.BigIntFromString).mapFields((fields) => ({
  ...fields,
  // JSON written before the process limit existed has none: the default applies
  pidsLimit: Schema.optional(Schema.Number),
  ip: Schema.optional(Schema.String),
  subnet: Schema.optional(Schema.String),
  workdirPath: Schema.optional(Schema.String),
  consoleOutput: Schema.optional(Schema.String)
}))

/**
 * Encodes for JSON (e.g. to pass to the VM runner): bigints become decimal
 * strings, `undefined` fields are left out.
 *
 * @since 0.1.0
 * @category codecs
 */
export const toJson = (config: MicroVmConfig): Json => {
  const optional = <K extends "ip" | "subnet" | "workdirPath" | "consoleOutput">(key: K) =>
    config[key] === undefined ? {} : { [key]: config[key] }
  return {
    logLevel: config.logLevel,
    rootfs: config.rootfs._tag === "Native"
      ? { _tag: "Native", path: config.rootfs.path }
      : { _tag: "Overlayfs", paths: [...config.rootfs.paths] },
    numVcpus: config.numVcpus,
    memoryMib: config.memoryMib,
    pidsLimit: config.pidsLimit,
    mappedDirs: config.mappedDirs.map(({ guest, host, readOnly }) => (readOnly === true ? { host, guest, readOnly } : { host, guest })),
    portMap: config.portMap.map(({ guest, host }) => ({ host, guest })),
    scope: config.scope,
    ...optional("ip"),
    ...optional("subnet"),
    rlimits: config.rlimits.map((r) => ({
      resource: r.resource,
      name: r.name,
      soft: r.soft.toString(),
      hard: r.hard.toString()
    })),
    ...optional("workdirPath"),
    execPath: config.execPath,
    args: [...config.args],
    env: config.env.map(({ key, value }) => ({ key, value })),
    ...optional("consoleOutput")
  }
}

const describeIssue = (input: unknown, path: ReadonlyArray<PropertyKey>, message: string): MalformedConfig => {
  let value: unknown = input
  for (const key of path) {
    value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined
  }
  const field = path.reduce<string>(
    (acc, key) => typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`,
    ""
  )
  const expected = message === "Missing key" ? "set" : message.replace(/^Expected /, "")
  return new MalformedConfig({ field: field === "" ? "config" : field, value, expected })
}

const structuralProblems = (
  schema: typeof Structure | typeof JsonStructure,
  input: unknown
): ReadonlyArray<MalformedConfig> => {
  const result = Schema.toStandardSchemaV1(schema)["~standard"].validate(input)
  if (result instanceof Promise) return [] // never: these schemas are synchronous
  if (result.issues === undefined) return []
  return result.issues.map((issue) =>
    describeIssue(
      input,
      (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment)),
      issue.message
    )
  )
}

const nonEmpty = <A>(items: ReadonlyArray<A>): readonly [A, ...Array<A>] | undefined =>
  items.length > 0 ? (items as readonly [A, ...Array<A>]) : undefined

/**
 * Decodes the JSON form (see {@link toJson}). Checks shape only; run
 * {@link validate} on the result as well.
 *
 * @since 0.1.0
 * @category codecs
 */
export const fromJson = (input: unknown): Effect.Effect<MicroVmConfig, InvalidMicroVmConfig> => {
  const problems = nonEmpty(structuralProblems(JsonStructure, input))
  if (problems !== undefined) return Effect.fail(new InvalidMicroVmConfig({ problems }))
  const json = input as Json
  return Effect.succeed(make({
    ...json,
    logLevel: json.logLevel as LogLevel,
    scope: json.scope as NetworkScope,
    rootfs: json.rootfs._tag === "Native"
      ? { _tag: "Native", path: json.rootfs.path }
      : { _tag: "Overlayfs", paths: json.rootfs.paths },
    rlimits: json.rlimits.map((r) => ({ ...r, soft: BigInt(r.soft), hard: BigInt(r.hard) }))
  }))
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/**
 * What validation may know beyond the configuration itself.
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidateOptions {
  /** The host's vCPU maximum (e.g. `krun_get_max_vcpus()`), when known. */
  readonly hostMaxVcpus?: number | undefined
  /** Command-line room the engine needs for entries of its own. */
  readonly reserve?: CommandLine.Reserve | undefined
}

type Rule = (
  config: MicroVmConfig,
  options: ValidateOptions
) => Effect.Effect<ReadonlyArray<ConfigError>, never, FileSystem>

const pure = (
  check: (config: MicroVmConfig, options: ValidateOptions) => ReadonlyArray<ConfigError>
): Rule =>
(config, options) => Effect.sync(() => check(config, options))

const nulProblem = (field: string, path: string): ReadonlyArray<ConfigError> =>
  path.includes("\0") ? [new NulCharacterInPath({ field, path })] : []

const rootPaths: Rule = Effect.fnUntraced(function*(config) {
  const fileSystem = yield* FileSystem
  const rootfs = config.rootfs
  const paths = rootfs._tag === "Native" ? [rootfs.path] : rootfs.paths
  if (rootfs._tag === "Overlayfs" && paths.length === 0) return [new EmptyOverlayfs({ paths })]
  const problems: Array<ConfigError> = []
  for (const [index, path] of paths.entries()) {
    const field = rootfs._tag === "Native" ? "rootfs.path" : `rootfs.paths[${index}]`
    const nul = nulProblem(field, path)
    if (nul.length > 0) {
      problems.push(...nul)
      continue
    }
    const kind = yield* fileSystem.kind(path)
    if (kind._tag === "Missing" || kind._tag === "Inaccessible") problems.push(new RootPathDoesNotExist({ path }))
    else if (kind._tag !== "Directory") problems.push(new RootPathNotADirectory({ path }))
  }
  return problems
})

const hostPaths: Rule = Effect.fnUntraced(function*(config) {
  const fileSystem = yield* FileSystem
  const problems: Array<ConfigError> = []
  for (const [index, { guest, host }] of config.mappedDirs.entries()) {
    const nul = nulProblem(`mappedDirs[${index}].host`, host)
    if (nul.length > 0) {
      problems.push(...nul)
      continue
    }
    const kind = yield* fileSystem.kind(host)
    if (kind._tag === "Missing" || kind._tag === "Inaccessible") {
      problems.push(new HostPathDoesNotExist({ path: host, guest }))
    } else if (kind._tag !== "Directory") problems.push(new HostPathNotADirectory({ path: host, guest }))
  }
  return problems
})

const vcpus = pure((config, options) => {
  const n = config.numVcpus
  if (n === 0) return [new NumVCPUsIsZero({ numVcpus: 0 })]
  if (!Number.isInteger(n) || n < 0) {
    return [new InvalidNumber({ field: "numVcpus", value: n, min: 1, max: LIBKRUN_MAX_VCPUS })]
  }
  const hostMax = options.hostMaxVcpus
  if (hostMax !== undefined && hostMax > 0 && hostMax < LIBKRUN_MAX_VCPUS && n > hostMax) {
    return [new TooManyVCPUs({ numVcpus: n, max: hostMax, limitSource: "host" })]
  }
  if (n > LIBKRUN_MAX_VCPUS) return [new TooManyVCPUs({ numVcpus: n, max: LIBKRUN_MAX_VCPUS, limitSource: "libkrun" })]
  return []
})

const memory = pure((config) => {
  const n = config.memoryMib
  if (n === 0) return [new MemoryIsZero({ memoryMib: 0 })]
  if (!Number.isInteger(n) || n < 0 || n > LIBKRUN_MAX_MEMORY_MIB) {
    return [new InvalidNumber({ field: "memoryMib", value: n, min: 1, max: LIBKRUN_MAX_MEMORY_MIB })]
  }
  return []
})

const pids = pure((config) => {
  const n = config.pidsLimit
  return Number.isInteger(n) && n >= 1 && n <= MAX_PIDS_LIMIT
    ? []
    : [new InvalidNumber({ field: "pidsLimit", value: n, min: 1, max: MAX_PIDS_LIMIT })]
})

const printable = (field: string, value: string): ReadonlyArray<ConfigError> => {
  const invalid = firstInvalidCharacter(value)
  return invalid === undefined ? [] : [new InvalidCommandLineString({ field, value, ...invalid })]
}

// Guest paths are included because krunbox's libkrun engine hands them to the
// guest init on the command line too (KRUNBOX_MOUNTS).
const commandLineStrings = pure((config) => [
  ...printable("execPath", config.execPath),
  ...config.args.flatMap((arg, index) => printable(`args[${index}]`, arg)),
  ...(config.workdirPath === undefined ? [] : printable("workdirPath", config.workdirPath)),
  ...config.env.flatMap(({ value }, index) => printable(`env[${index}].value`, value)),
  ...config.mappedDirs.flatMap(({ guest }, index) => printable(`mappedDirs[${index}].guest`, guest))
])

const guestPaths = pure((config) => {
  const problems: Array<ConfigError> = []
  const normalized: Array<string> = []
  for (const [index, { guest }] of config.mappedDirs.entries()) {
    const field = `mappedDirs[${index}].guest`
    const result = normalizeAbsolute(guest)
    if (result._tag === "NotAbsolute") problems.push(new GuestPathNotAbsolute({ field, path: guest }))
    else if (result._tag === "EscapesRoot") problems.push(new GuestPathEscapesRoot({ field, path: guest }))
    else if (result.path === "/") problems.push(new GuestPathIsRoot({ field, path: guest }))
    else normalized.push(result.path)
  }
  for (let i = 0; i < normalized.length; i++) {
    for (let j = i + 1; j < normalized.length; j++) {
      if (overlap(normalized[i]!, normalized[j]!)) {
        problems.push(new ConflictingGuestPaths({ first: normalized[i]!, second: normalized[j]! }))
      }
    }
  }
  if (config.mappedDirs.length > CommandLine.MAX_MAPPED_DIRS) {
    problems.push(new TooManyMappedDirs({ count: config.mappedDirs.length, max: CommandLine.MAX_MAPPED_DIRS }))
  }
  return problems
})

const unquotedValues = pure((config) => {
  const problems: Array<ConfigError> = []
  if (/[ "]/.test(config.execPath)) problems.push(new SpaceInUnquotedValue({ field: "execPath", value: config.execPath }))
  const workdir = config.workdirPath
  if (workdir !== undefined) {
    const result = normalizeAbsolute(workdir)
    if (result._tag === "NotAbsolute") problems.push(new GuestPathNotAbsolute({ field: "workdirPath", path: workdir }))
    if (result._tag === "EscapesRoot") problems.push(new GuestPathEscapesRoot({ field: "workdirPath", path: workdir }))
    if (/[ "]/.test(workdir)) problems.push(new SpaceInUnquotedValue({ field: "workdirPath", value: workdir }))
  }
  return problems
})

/**
 * Kernel parameters libkrun's command line uses or that decide what the guest
 * runs; as env names they would be consumed by the kernel.
 */
const KERNEL_PARAMETER_NAMES: ReadonlySet<string> = new Set([
  "init",
  "rdinit",
  "root",
  "rootfstype",
  "rootflags",
  "ro",
  "rw",
  "console",
  "panic",
  "panic_print",
  "reboot",
  "quiet",
  "loglevel",
  "nomodule",
  "tsi_hijack",
  "tsi_hijack_unix"
])

/** KRUN_* are libkrun's init's, KRUNBOX_* krunbox's own (the engine adds KRUNBOX_MOUNTS itself). */
const isReservedEnvKey = (key: string): boolean =>
  key.startsWith("KRUN_") || key.startsWith("KRUNBOX_") || KERNEL_PARAMETER_NAMES.has(key)

const quotedValues = pure((config) => [
  ...config.args.flatMap((arg, index): ReadonlyArray<ConfigError> => {
    const field = `args[${index}]`
    if (arg === "--") return [new DoubleDashArgument({ field, value: "--" })]
    return arg.includes("\"") ? [new QuoteInCommandLineString({ field, value: arg })] : []
  }),
  ...config.env.flatMap(({ key, value }, index): ReadonlyArray<ConfigError> => {
    const field = `env[${index}]`
    const problems: Array<ConfigError> = []
    if (!isValidKey(key)) problems.push(new InvalidEnvKey({ field: `${field}.key`, key }))
    else if (isReservedEnvKey(key)) problems.push(new ReservedEnvKey({ field: `${field}.key`, key }))
    if (value.includes("\"")) problems.push(new QuoteInCommandLineString({ field: `${field}.value`, value }))
    return problems
  }),
  ...config.mappedDirs.flatMap(({ guest }, index) =>
    guest.includes("\"") ? [new QuoteInCommandLineString({ field: `mappedDirs[${index}].guest`, value: guest })] : []
  )
])

const commandLineBudget = pure((config, options) => {
  const measured = CommandLine.measure({
    execPath: config.execPath,
    workdirPath: config.workdirPath,
    rlimits: config.rlimits,
    env: config.env,
    args: config.args,
    mappedDirCount: config.mappedDirs.length,
    scope: config.scope
  }, options.reserve)
  const problems: Array<ConfigError> = []
  if (measured.bytes.size > measured.bytes.budget) {
    problems.push(new CommandLineTooLong({ limit: "bytes", size: measured.bytes.size, budget: measured.bytes.budget }))
  }
  if (measured.envEntries.size > measured.envEntries.budget) {
    problems.push(
      new CommandLineTooLong({
        limit: "envEntries",
        size: measured.envEntries.size,
        budget: measured.envEntries.budget
      })
    )
  }
  if (measured.initArgs.size > measured.initArgs.budget) {
    problems.push(
      new CommandLineTooLong({ limit: "initArgs", size: measured.initArgs.size, budget: measured.initArgs.budget })
    )
  }
  return problems
})

const ports = pure((config) => {
  const problems: Array<ConfigError> = []
  const hostSeen = new Set<number>()
  const guestSeen = new Set<number>()
  const hostReported = new Set<number>()
  const guestReported = new Set<number>()
  for (const [index, pair] of config.portMap.entries()) {
    for (const side of ["host", "guest"] as const) {
      const port = pair[side]
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        problems.push(new InvalidPort({ field: `portMap[${index}].${side}`, port }))
      }
    }
    if (hostSeen.has(pair.host) && !hostReported.has(pair.host)) {
      hostReported.add(pair.host)
      problems.push(new DuplicateHostPort({ port: pair.host }))
    }
    if (guestSeen.has(pair.guest) && !guestReported.has(pair.guest)) {
      guestReported.add(pair.guest)
      problems.push(new DuplicateGuestPort({ port: pair.guest }))
    }
    hostSeen.add(pair.host)
    guestSeen.add(pair.guest)
  }
  if (config.scope === "none" && config.portMap.length > 0) {
    problems.push(new PortMapWithoutNetwork({ scope: "none", ports: config.portMap.map(formatPortPair) }))
  }
  return problems
})

const network = pure((config) => {
  const problems: Array<ConfigError> = []
  if (!isNetworkScope(config.scope)) problems.push(new InvalidNetworkScope({ input: String(config.scope) }))
  const ipValid = config.ip === undefined || ipv4ToNumber(config.ip) !== undefined
  if (!ipValid) problems.push(new InvalidIpv4({ input: config.ip! }))
  const subnet = config.subnet === undefined ? undefined : cidrFromString(config.subnet)
  if (config.subnet !== undefined && subnet === undefined) problems.push(new InvalidCidr({ input: config.subnet }))
  if (config.ip !== undefined && ipValid && subnet !== undefined && !subnetContains(subnet, config.ip)) {
    problems.push(new IpOutsideSubnet({ ip: config.ip, subnet: config.subnet! }))
  }
  return problems
})

const rlimits = pure((config) =>
  config.rlimits.flatMap((rlimit, index): ReadonlyArray<ConfigError> => {
    const problems: Array<ConfigError> = []
    const knownName = resourceNames[rlimit.resource]
    if (!Number.isInteger(rlimit.resource) || knownName === undefined || knownName !== rlimit.name) {
      problems.push(new InvalidRlimitResource({ resource: `${rlimit.name} (${rlimit.resource})` }))
    }
    let inRange = true
    for (const side of ["soft", "hard"] as const) {
      const value = rlimit[side]
      if (value < 0n || value > RLIM_INFINITY) {
        inRange = false
        problems.push(new InvalidRlimitValue({ field: `rlimits[${index}].${side}`, value: value.toString() }))
      }
    }
    if (inRange && rlimit.soft > rlimit.hard) {
      problems.push(new RlimitSoftExceedsHard({ name: rlimit.name, soft: rlimit.soft, hard: rlimit.hard }))
    }
    return problems
  })
)

const logLevel = pure((config) => isLogLevel(config.logLevel) ? [] : [new InvalidLogLevel({ value: config.logLevel })])

// the console file is created by the engine; its folder must exist and it must not be a directory
const consoleOutput: Rule = Effect.fnUntraced(function*(config) {
  const path = config.consoleOutput
  if (path === undefined) return []
  const nul = nulProblem("consoleOutput", path)
  if (nul.length > 0) return nul
  const fileSystem = yield* FileSystem
  const kind = yield* fileSystem.kind(path)
  if (kind._tag === "Directory") return [new ConsoleOutputIsADirectory({ path })]
  const folder = dirname(resolve(path))
  if (kind._tag === "Inaccessible" && kind.code === "ENOTDIR") return [new ConsoleOutputFolderMissing({ path, folder })]
  if (kind._tag !== "Missing") return []
  const parent = yield* fileSystem.kind(folder)
  return parent._tag === "Directory" || parent._tag === "Inaccessible" ? [] : [new ConsoleOutputFolderMissing({ path, folder })]
})

/**
 * The rules, in the order problems are reported: the original's first
 * (root path, host paths, vCPUs, memory, command-line characters, guest
 * paths), then krunbox's.
 */
const rules: ReadonlyArray<Rule> = [
  rootPaths,
  hostPaths,
  vcpus,
  memory,
  pids,
  commandLineStrings,
  guestPaths,
  unquotedValues,
  quotedValues,
  commandLineBudget,
  ports,
  network,
  rlimits,
  logLevel,
  consoleOutput
]

/** Checks for what the rules take for granted: an object of the right shape. */
const shapeProblems = (config: unknown): ReadonlyArray<ConfigError> => {
  if (typeof config !== "object" || config === null) {
    return [new MalformedConfig({ field: "config", value: config, expected: "an object" })]
  }
  const record = config as Record<string, unknown>
  const missing: Array<ConfigError> = []
  if (record["rootfs"] === undefined) missing.push(new MissingRequiredField({ field: "rootfs" }))
  if (record["execPath"] === undefined || record["execPath"] === "") {
    missing.push(new MissingRequiredField({ field: "execPath" }))
  }
  const malformed = structuralProblems(Structure, config).filter((problem) =>
    !((problem.field === "rootfs" || problem.field === "execPath") && problem.value === undefined)
  )
  return [...missing, ...malformed]
}

const run = (
  config: MicroVmConfig,
  options: ValidateOptions,
  failFast: boolean
): Effect.Effect<ReadonlyArray<ConfigError>, never, FileSystem> =>
  Effect.gen(function*() {
    const shape = shapeProblems(config)
    if (shape.length > 0) return failFast ? shape.slice(0, 1) : shape
    const problems: Array<ConfigError> = []
    for (const rule of rules) {
      const found = yield* rule(config, options)
      if (failFast && found.length > 0) return found.slice(0, 1)
      problems.push(...found)
    }
    return problems
  })

/**
 * Checks every rule and fails with all problems at once, in rule order.
 * Succeeds with the same configuration.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FileSystem, MicroVmConfig, Rootfs } from "@krunbox/core"
 *
 * const config = MicroVmConfig.make({ rootfs: Rootfs.native("/tmp"), execPath: "/bin/echo" })
 * Effect.runSync(MicroVmConfig.validate(config).pipe(Effect.provide(FileSystem.layer)))
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  config: MicroVmConfig,
  options: ValidateOptions = {}
): Effect.Effect<MicroVmConfig, InvalidMicroVmConfig, FileSystem> =>
  Effect.flatMap(run(config, options, false), (problems) => {
    const list = nonEmpty(problems)
    return list === undefined ? Effect.succeed(config) : Effect.fail(new InvalidMicroVmConfig({ problems: list }))
  })

/**
 * Checks the rules in order and fails with the first problem found, like the
 * original's `validate`.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateFailFast = (
  config: MicroVmConfig,
  options: ValidateOptions = {}
): Effect.Effect<MicroVmConfig, ConfigError, FileSystem> =>
  Effect.flatMap(run(config, options, true), (problems) => {
    const first = problems[0]
    return first === undefined ? Effect.succeed(config) : Effect.fail(first)
  })

/**
 * Checks that a string may travel on the guest kernel command line: only
 * printable ASCII, space (0x20) to tilde (0x7E). The original's
 * `validate_command_line`.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateCommandLine = (
  value: string,
  field = "value"
): Effect.Effect<string, InvalidCommandLineString> => {
  const invalid = firstInvalidCharacter(value)
  return invalid === undefined
    ? Effect.succeed(value)
    : Effect.fail(new InvalidCommandLineString({ field, value, ...invalid }))
}

/**
 * Checks that no two guest paths are equal or nested, after normalisation.
 * The original's `validate_guest_paths`; fails with every problem.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateGuestPaths = (
  mappedDirs: ReadonlyArray<PathPair>
): Effect.Effect<ReadonlyArray<PathPair>, InvalidMicroVmConfig> => {
  const problems = nonEmpty(
    guestPathProblems(mappedDirs)
  )
  return problems === undefined ? Effect.succeed(mappedDirs) : Effect.fail(new InvalidMicroVmConfig({ problems }))
}

const guestPathProblems = (mappedDirs: ReadonlyArray<PathPair>): ReadonlyArray<ConfigError> =>
  Effect.runSync(
    guestPaths(make({ rootfs: { _tag: "Native", path: "/" }, execPath: "/", mappedDirs }), {}).pipe(
      Effect.provideService(FileSystem, { kind: () => Effect.succeed({ _tag: "Missing" }) })
    )
  ).filter((problem) => problem._tag !== "TooManyMappedDirs")
