/**
 * Every way a MicroVm configuration (or one of its parts) can be wrong.
 *
 * Each error is a {@link TaggedError} (the one krunbox error base): it has a
 * `_tag`, carries the offending value, and computes a `message` that says what
 * is wrong, ending with its `hint`, which says how to fix it.
 * The six errors named after microsandbox's `InvalidMicroVMConfigError`
 * variants keep those names and outcomes; the rest are krunbox additions.
 *
 * @since 0.1.0
 */
import { KrunboxError, TaggedError } from "./KrunboxError.js"

const show = (value: string): string => JSON.stringify(value)

/** A short rendering of any value; never throws (cycles, null prototypes, bigints). */
const describeValue = (value: unknown): string => {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))
    if (text !== undefined) return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    // fall through
  }
  if (value === undefined) return "undefined"
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "symbol" || typeof value === "function") return typeof value
  return Object.prototype.toString.call(value)
}

/**
 * Where a failing value sits in the configuration, e.g. `"args[2]"`,
 * `"env[0].value"`, `"mappedDirs[1].guest"`, `"execPath"`.
 *
 * @since 0.1.0
 * @category models
 */
export type FieldPath = string

// ---------------------------------------------------------------------------
// Seed parity: microsandbox's InvalidMicroVMConfigError variants
// ---------------------------------------------------------------------------

/**
 * The rootfs directory (or one overlayfs layer) does not exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class RootPathDoesNotExist extends TaggedError("RootPathDoesNotExist")<{
  readonly path: string
}> {
  override get message(): string {
    return `root path does not exist: ${this.path}. ${this.hint}`
  }
  get hint(): string {
    return "Create the directory or point rootfs at an existing directory."
  }
}

/**
 * The host side of a mapped directory does not exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class HostPathDoesNotExist extends TaggedError("HostPathDoesNotExist")<{
  readonly path: string
  readonly guest: string
}> {
  override get message(): string {
    return `host path does not exist: ${this.path}. ${this.hint}`
  }
  get hint(): string {
    return `Create it or fix the mapping "${this.path}:${this.guest}".`
  }
}

/**
 * `numVcpus` is 0.
 *
 * @since 0.1.0
 * @category errors
 */
export class NumVCPUsIsZero extends TaggedError("NumVCPUsIsZero")<{
  readonly numVcpus: 0
}> {
  override get message(): string {
    return `number of vCPUs is zero. ${this.hint}`
  }
  get hint(): string {
    return "Set numVcpus to at least 1."
  }
}

/**
 * `memoryMib` is 0.
 *
 * @since 0.1.0
 * @category errors
 */
export class MemoryIsZero extends TaggedError("MemoryIsZero")<{
  readonly memoryMib: 0
}> {
  override get message(): string {
    return `amount of memory is zero. ${this.hint}`
  }
  get hint(): string {
    return "Set memoryMib to at least 1 (the default is 1024)."
  }
}

/**
 * A string that travels on the guest kernel command line contains a character
 * outside printable ASCII (0x20 space .. 0x7E tilde): a control character
 * (newline, tab, escape, DEL, NUL) or any non-ASCII character.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCommandLineString extends TaggedError("InvalidCommandLineString")<{
  readonly field: FieldPath
  readonly value: string
  /** UTF-16 index of the first invalid character. */
  readonly index: number
  /** Code point of the first invalid character. */
  readonly codePoint: number
}> {
  override get message(): string {
    const hex = this.codePoint.toString(16).toUpperCase().padStart(4, "0")
    return `command line contains invalid characters (only ASCII characters between space and tilde are allowed): ${this.field} = ${show(this.value)} has U+${hex} at index ${this.index}. ${this.hint}`
  }
  get hint(): string {
    return "Remove control and non-ASCII characters, or pass such data through a file in a mapped directory."
  }
}

/**
 * Two mapped directories have the same guest path, or one lies inside the
 * other (after normalising `.`, `..`, `//` and trailing slashes).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictingGuestPaths extends TaggedError("ConflictingGuestPaths")<{
  readonly first: string
  readonly second: string
}> {
  override get message(): string {
    return `Conflicting guest paths: '${this.first}' and '${this.second}' overlap. ${this.hint}`
  }
  get hint(): string {
    return "Map each guest directory once, and never inside another mapped directory."
  }
}

// ---------------------------------------------------------------------------
// krunbox additions: validation
// ---------------------------------------------------------------------------

/**
 * A required field (`rootfs` or `execPath`) is missing or empty.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingRequiredField extends TaggedError("MissingRequiredField")<{
  readonly field: "rootfs" | "execPath"
}> {
  override get message(): string {
    return `${this.field} is required. ${this.hint}`
  }
  get hint(): string {
    return `Call .${this.field}(...) on the builder or pass ${this.field} to MicroVmConfig.make.`
  }
}

/**
 * A value does not have the shape the model requires (wrong type, e.g. from
 * untyped JavaScript or JSON).
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedConfig extends TaggedError("MalformedConfig")<{
  readonly field: FieldPath
  readonly value: unknown
  readonly expected: string
}> {
  override get message(): string {
    const shown = describeValue(this.value)
    return `malformed configuration: ${this.field} must be ${this.expected}, got ${shown}. ${this.hint}`
  }
  get hint(): string {
    return "Build the configuration with MicroVmConfig.make or MicroVmConfig.builder()."
  }
}

/**
 * The rootfs path (or an overlayfs layer) exists but is not a directory.
 *
 * @since 0.1.0
 * @category errors
 */
export class RootPathNotADirectory extends TaggedError("RootPathNotADirectory")<{
  readonly path: string
}> {
  override get message(): string {
    return `root path is not a directory: ${this.path}. ${this.hint}`
  }
  get hint(): string {
    return "The rootfs must be a directory tree (e.g. an unpacked image), not a file."
  }
}

/**
 * An overlayfs rootfs has no layers.
 *
 * @since 0.1.0
 * @category errors
 */
export class EmptyOverlayfs extends TaggedError("EmptyOverlayfs")<{
  readonly paths: ReadonlyArray<string>
}> {
  override get message(): string {
    return `overlayfs rootfs has no layers. ${this.hint}`
  }
  get hint(): string {
    return "Pass at least one directory to Rootfs.overlayfs([...])."
  }
}

/**
 * The host side of a mapped directory exists but is not a directory.
 *
 * @since 0.1.0
 * @category errors
 */
export class HostPathNotADirectory extends TaggedError("HostPathNotADirectory")<{
  readonly path: string
  readonly guest: string
}> {
  override get message(): string {
    return `host path is not a directory: ${this.path}. ${this.hint}`
  }
  get hint(): string {
    return "Only directories can be mapped (virtio-fs shares directories); map its parent directory instead."
  }
}

/**
 * A host path contains a NUL character, which cannot cross into C.
 *
 * @since 0.1.0
 * @category errors
 */
export class NulCharacterInPath extends TaggedError("NulCharacterInPath")<{
  readonly field: FieldPath
  readonly path: string
}> {
  override get message(): string {
    return `${this.field} contains a NUL character, which cannot be passed to libkrun: ${show(this.path)}. ${this.hint}`
  }
  get hint(): string {
    return "Remove it."
  }
}

/**
 * `consoleOutput` names a directory: the guest console goes to a file.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConsoleOutputIsADirectory extends TaggedError("ConsoleOutputIsADirectory")<{
  readonly path: string
}> {
  override get message(): string {
    return `consoleOutput is a directory: ${show(this.path)}. ${this.hint}`
  }
  get hint(): string {
    return `Name a file for the guest console, e.g. ${show(`${this.path.replace(/\/+$/, "")}/console.log`)}.`
  }
}

/**
 * `consoleOutput` is a file in a folder that does not exist (or is not a directory); krunbox
 * creates the file, not its folders.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConsoleOutputFolderMissing extends TaggedError("ConsoleOutputFolderMissing")<{
  readonly path: string
  readonly folder: string
}> {
  override get message(): string {
    return `the folder of consoleOutput ${show(this.path)} does not exist or is not a directory: ${show(this.folder)}. ${this.hint}`
  }
  get hint(): string {
    return "Create it first (mkdir -p), or name a file in an existing folder."
  }
}

/**
 * A guest path (mapped directory guest side, or `workdirPath`) is relative.
 *
 * @since 0.1.0
 * @category errors
 */
export class GuestPathNotAbsolute extends TaggedError("GuestPathNotAbsolute")<{
  readonly field: FieldPath
  readonly path: string
}> {
  override get message(): string {
    return `guest path must be absolute: ${this.field} = ${show(this.path)}. ${this.hint}`
  }
  get hint(): string {
    return `Start it with "/".`
  }
}

/**
 * A guest path has more `..` components than directories above it.
 *
 * @since 0.1.0
 * @category errors
 */
export class GuestPathEscapesRoot extends TaggedError("GuestPathEscapesRoot")<{
  readonly field: FieldPath
  readonly path: string
}> {
  override get message(): string {
    return `guest path climbs above the root directory: ${this.field} = ${show(this.path)}. ${this.hint}`
  }
  get hint(): string {
    return `Remove the extra ".." components.`
  }
}

/**
 * More mapped directories than libkrun has device slots for.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyMappedDirs extends TaggedError("TooManyMappedDirs")<{
  readonly count: number
  readonly max: number
}> {
  override get message(): string {
    return `too many mapped directories: ${this.count}, at most ${this.max} (each is a virtio-fs device and libkrun on x86-64 has 11 device interrupts, 5 of which it uses itself). ${this.hint}`
  }
  get hint(): string {
    return "Map a common parent directory instead."
  }
}

/**
 * `numVcpus` or `memoryMib` is not a whole number in range.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidNumber extends TaggedError("InvalidNumber")<{
  readonly field: "numVcpus" | "memoryMib" | "pidsLimit"
  readonly value: number
  readonly min: number
  readonly max: number
}> {
  override get message(): string {
    return `${this.field} must be a whole number from ${this.min} to ${this.max}, got ${this.value}. ${this.hint}`
  }
  get hint(): string {
    return "Use an integer in that range."
  }
}

/**
 * More vCPUs than the host (KVM) or libkrun (a `uint8_t`) allows.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyVCPUs extends TaggedError("TooManyVCPUs")<{
  readonly numVcpus: number
  readonly max: number
  readonly limitSource: "host" | "libkrun"
}> {
  override get message(): string {
    const who = this.limitSource === "host" ? "this host's maximum" : "libkrun's maximum"
    return `number of vCPUs (${this.numVcpus}) exceeds ${who} of ${this.max}. ${this.hint}`
  }
  get hint(): string {
    return `Set numVcpus to ${this.max} or less.`
  }
}

/**
 * An environment variable name the guest kernel cannot hand to init.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEnvKey extends TaggedError("InvalidEnvKey")<{
  readonly field: FieldPath
  readonly key: string
}> {
  override get message(): string {
    return `invalid environment variable name: ${this.field} = ${show(this.key)}. ${this.hint}`
  }
  get hint(): string {
    return "Use letters, digits and underscores, not starting with a digit (e.g. MY_VAR); the guest kernel drops or misreads other names."
  }
}

/**
 * An environment variable name that would not reach the workload: `KRUN_*`
 * (libkrun's own settings for the guest init, e.g. `KRUN_INIT`, the program to
 * run) or a guest kernel parameter libkrun's command line relies on (e.g.
 * `init`, `root`, `console`), which the kernel would take for itself.
 *
 * @since 0.1.0
 * @category errors
 */
export class ReservedEnvKey extends TaggedError("ReservedEnvKey")<{
  readonly field: FieldPath
  readonly key: string
}> {
  override get message(): string {
    return `environment variable name is reserved: ${this.field} = ${show(this.key)}. ${this.hint}`
  }
  get hint(): string {
    return "Rename it; KRUN_* names configure libkrun's guest init, KRUNBOX_* names krunbox's own (KRUNBOX_MOUNTS, ...), and kernel parameter names (init, root, console, panic, ...) are taken by the guest kernel instead of reaching the workload."
  }
}

/**
 * An argument that is exactly `--`: the guest kernel stops reading init's
 * arguments there, dropping it and every later one.
 *
 * @since 0.1.0
 * @category errors
 */
export class DoubleDashArgument extends TaggedError("DoubleDashArgument")<{
  readonly field: FieldPath
  readonly value: "--"
}> {
  override get message(): string {
    return `${this.field} is "--", which the guest kernel takes as the end of init's arguments: it and every later argument would be silently dropped. ${this.hint}`
  }
  get hint(): string {
    return `Pass it another way, e.g. inside a "sh -c" script or a file in a mapped directory.`
  }
}

/**
 * A double quote in a value that libkrun wraps in double quotes on the guest
 * kernel command line (an argument or an environment value).
 *
 * @since 0.1.0
 * @category errors
 */
export class QuoteInCommandLineString extends TaggedError("QuoteInCommandLineString")<{
  readonly field: FieldPath
  readonly value: string
}> {
  override get message(): string {
    return `${this.field} contains a double quote ("), which the guest kernel command line cannot carry: ${show(this.value)}. ${this.hint}`
  }
  get hint(): string {
    return "Remove the quote, or pass the value through a file in a mapped directory."
  }
}

/**
 * A space or double quote in a value libkrun puts unquoted on the guest kernel
 * command line (`KRUN_INIT=<execPath>`, `KRUN_WORKDIR=<workdirPath>`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SpaceInUnquotedValue extends TaggedError("SpaceInUnquotedValue")<{
  readonly field: "execPath" | "workdirPath"
  readonly value: string
}> {
  override get message(): string {
    return `${this.field} cannot contain spaces or double quotes (libkrun puts it unquoted on the guest kernel command line): ${show(this.value)}. ${this.hint}`
  }
  get hint(): string {
    return "Use a path without spaces, e.g. via a symlink."
  }
}

/**
 * Which guest kernel limit {@link CommandLineTooLong} hit.
 *
 * @since 0.1.0
 * @category models
 */
export type CommandLineLimit = "bytes" | "envEntries" | "initArgs"

/**
 * Args and env do not fit on the guest kernel command line: too many bytes,
 * too many environment variables, or too many arguments for init.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommandLineTooLong extends TaggedError("CommandLineTooLong")<{
  readonly limit: CommandLineLimit
  /** What the configuration needs (bytes, env entries, or init args). */
  readonly size: number
  /** What is left for the configuration after libkrun's own entries. */
  readonly budget: number
}> {
  override get message(): string {
    switch (this.limit) {
      case "bytes":
        return `guest kernel command line too long: args, env, exec path, workdir and rlimits need ${this.size} bytes, the budget is ${this.budget} bytes (the guest kernel keeps 2047 bytes of command line; libkrun's own entries use the rest). ${this.hint}`
      case "envEntries":
        return `too many environment variables for the guest kernel: ${this.size}, at most ${this.budget} (the kernel hands at most 32 variables to init, and it and libkrun use the rest). ${this.hint}`
      case "initArgs":
        return `too many arguments for the guest kernel: ${this.size}, at most ${this.budget} (the kernel hands at most 32 arguments to init, and it uses the rest). ${this.hint}`
    }
  }
  get hint(): string {
    switch (this.limit) {
      case "bytes":
        return "Shorten them, or pass large data through a file in a mapped directory."
      case "envEntries":
        return "Drop variables, or put them in a file the workload reads."
      case "initArgs":
        return "Pass fewer arguments, or put them in a file the workload reads."
    }
  }
}

/**
 * A mapped port outside 1..65535.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPort extends TaggedError("InvalidPort")<{
  readonly field: FieldPath
  readonly port: number
}> {
  override get message(): string {
    return `port out of range: ${this.field} = ${this.port}. ${this.hint}`
  }
  get hint(): string {
    return "Use a whole number from 1 to 65535."
  }
}

/**
 * The same host port appears in two port mappings.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateHostPort extends TaggedError("DuplicateHostPort")<{
  readonly port: number
}> {
  override get message(): string {
    return `host port ${this.port} is mapped more than once. ${this.hint}`
  }
  get hint(): string {
    return "A host port can forward to one guest port only; remove or change the duplicate mapping."
  }
}

/**
 * The same guest port appears in two port mappings (libkrun rejects it).
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateGuestPort extends TaggedError("DuplicateGuestPort")<{
  readonly port: number
}> {
  override get message(): string {
    return `guest port ${this.port} is mapped more than once. ${this.hint}`
  }
  get hint(): string {
    return "libkrun forwards each guest port from one host port only; remove the duplicate mapping."
  }
}

/**
 * Ports are mapped but the network scope is `none`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PortMapWithoutNetwork extends TaggedError("PortMapWithoutNetwork")<{
  readonly scope: "none"
  readonly ports: ReadonlyArray<string>
}> {
  override get message(): string {
    return `ports are mapped (${this.ports.join(", ")}) but the network scope is "none", which gives the guest no network. ${this.hint}`
  }
  get hint(): string {
    return `Set scope to "any" (or another scope your engine supports) or remove the port map.`
  }
}

/**
 * `ip` lies outside `subnet`.
 *
 * @since 0.1.0
 * @category errors
 */
export class IpOutsideSubnet extends TaggedError("IpOutsideSubnet")<{
  readonly ip: string
  readonly subnet: string
}> {
  override get message(): string {
    return `ip ${this.ip} is not inside subnet ${this.subnet}. ${this.hint}`
  }
  get hint(): string {
    return "Choose an address within the subnet, or widen the subnet."
  }
}

/**
 * A resource limit whose soft value exceeds its hard value.
 *
 * @since 0.1.0
 * @category errors
 */
export class RlimitSoftExceedsHard extends TaggedError("RlimitSoftExceedsHard")<{
  readonly name: string
  readonly soft: bigint
  readonly hard: bigint
}> {
  override get message(): string {
    return `soft limit ${this.soft} exceeds hard limit ${this.hard} for ${this.name}. ${this.hint}`
  }
  get hint(): string {
    return "Lower the soft limit or raise the hard one (soft <= hard)."
  }
}

// ---------------------------------------------------------------------------
// Parser errors (also reported by validate for malformed plain objects)
// ---------------------------------------------------------------------------

/**
 * A path pair string that is not `host:guest` or a single path.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPathPair extends TaggedError("InvalidPathPair")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid path pair: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write HOST:GUEST (e.g. /srv/data:/data), or one path for the same path on both sides."
  }
}

/**
 * A mapped directory's mode (what follows the guest path's `:`) is not `ro` or
 * `rw`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMountMode extends TaggedError("InvalidMountMode")<{
  readonly input: string
  readonly mode: string
}> {
  override get message(): string {
    return `invalid mount mode ${show(this.mode)} in ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "End a mapping with :ro (read-only in the guest) or :rw (writable, the default), e.g. /srv/data:/data:ro; a guest path cannot contain \":\"."
  }
}

/**
 * A mapped directory's guest path is the guest's root `/`: it would replace the
 * whole guest filesystem (its init, its shell) with a host directory.
 *
 * @since 0.1.0
 * @category errors
 */
export class GuestPathIsRoot extends TaggedError("GuestPathIsRoot")<{
  readonly field: FieldPath
  readonly path: string
}> {
  override get message(): string {
    return `a host directory cannot be mapped over the guest's root: ${this.field} = ${show(this.path)}. ${this.hint}`
  }
  get hint(): string {
    return "Map it below the root (e.g. HOST:/data), or make it the rootfs instead (--rootfs HOST, .rootfs(HOST))."
  }
}

/**
 * A port pair string that is not `host:guest` or a single port.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPortPair extends TaggedError("InvalidPortPair")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid port pair: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write HOST:GUEST (e.g. 8080:80), or one port for the same port on both sides; ports are whole numbers up to 65535."
  }
}

/**
 * An environment string without `=` or with an empty name.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEnvPair extends TaggedError("InvalidEnvPair")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid environment variable pair: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write KEY=VALUE (the value may be empty)."
  }
}

/**
 * A resource limit string that is not `RESOURCE=SOFT:HARD`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRlimitFormat extends TaggedError("InvalidRlimitFormat")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid resource limit format: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write RESOURCE=SOFT:HARD, e.g. RLIMIT_NOFILE=1024:2048."
  }
}

/**
 * A resource limit value that is not a whole number in 0..2^64-1 nor
 * `unlimited`/`infinity`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRlimitValue extends TaggedError("InvalidRlimitValue")<{
  readonly field: FieldPath
  readonly value: string
}> {
  override get message(): string {
    return `invalid resource limit value: ${this.field} = ${show(this.value)}. ${this.hint}`
  }
  get hint(): string {
    return `Use a whole number from 0 to 18446744073709551615, or "unlimited".`
  }
}

/**
 * An unknown resource limit name or number.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRlimitResource extends TaggedError("InvalidRlimitResource")<{
  readonly resource: string
}> {
  override get message(): string {
    return `unknown resource limit: ${show(this.resource)}. ${this.hint}`
  }
  get hint(): string {
    return "Use a Linux name such as RLIMIT_NOFILE (or NOFILE, nofile) or its number 0..15."
  }
}

/**
 * A network scope other than none, group, public, any.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidNetworkScope extends TaggedError("InvalidNetworkScope")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid network scope: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Use one of none, group, public, any."
  }
}

/**
 * A log level other than 0..5 or its name.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidLogLevel extends TaggedError("InvalidLogLevel")<{
  readonly value: number | string
}> {
  override get message(): string {
    const shown = typeof this.value === "string" ? show(this.value) : String(this.value)
    return `invalid log level: ${shown}. ${this.hint}`
  }
  get hint(): string {
    return "Use 0..5 or off, error, warn, info, debug, trace."
  }
}

/**
 * A string that is not a dotted-quad IPv4 address.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidIpv4 extends TaggedError("InvalidIpv4")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid IPv4 address: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write four numbers 0..255 separated by dots, without leading zeros, e.g. 10.0.0.2."
  }
}

/**
 * A string that is not an IPv4 CIDR subnet.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCidr extends TaggedError("InvalidCidr")<{
  readonly input: string
}> {
  override get message(): string {
    return `invalid IPv4 subnet: ${show(this.input)}. ${this.hint}`
  }
  get hint(): string {
    return "Write ADDRESS/PREFIX with a prefix from 0 to 32, e.g. 10.0.0.0/24."
  }
}

/**
 * A string that is not a well-formed OCI image reference (`Rootfs.parseImage`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidImageReference extends TaggedError("InvalidImageReference")<{
  readonly reference: string
  /** what is wrong, e.g. `repository names must be lowercase ("Alpine")` */
  readonly reason: string
}> {
  override get message(): string {
    return `invalid image reference ${show(this.reference)}: ${this.reason}. ${this.hint}`
  }
  get hint(): string {
    return "Write [registry[:port]/]repository[:tag][@sha256:<64 hex>] with a lowercase repository, e.g. alpine:3.20 or localhost:5000/busybox:latest."
  }
}

// ---------------------------------------------------------------------------
// Unions
// ---------------------------------------------------------------------------

/**
 * Errors the string parsers can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type ParseError =
  | InvalidPathPair
  | InvalidMountMode
  | InvalidPortPair
  | InvalidEnvPair
  | InvalidRlimitFormat
  | InvalidRlimitValue
  | InvalidRlimitResource
  | InvalidNetworkScope
  | InvalidLogLevel
  | InvalidIpv4
  | InvalidCidr
  | InvalidImageReference

/**
 * Every single problem validation can report.
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigError =
  | RootPathDoesNotExist
  | HostPathDoesNotExist
  | NumVCPUsIsZero
  | MemoryIsZero
  | InvalidCommandLineString
  | ConflictingGuestPaths
  | MissingRequiredField
  | MalformedConfig
  | RootPathNotADirectory
  | EmptyOverlayfs
  | HostPathNotADirectory
  | NulCharacterInPath
  | ConsoleOutputIsADirectory
  | ConsoleOutputFolderMissing
  | GuestPathNotAbsolute
  | GuestPathEscapesRoot
  | GuestPathIsRoot
  | TooManyMappedDirs
  | InvalidNumber
  | TooManyVCPUs
  | InvalidEnvKey
  | ReservedEnvKey
  | DoubleDashArgument
  | QuoteInCommandLineString
  | SpaceInUnquotedValue
  | CommandLineTooLong
  | InvalidPort
  | DuplicateHostPort
  | DuplicateGuestPort
  | PortMapWithoutNetwork
  | IpOutsideSubnet
  | RlimitSoftExceedsHard
  | ParseError

/**
 * Every `_tag` a {@link ConfigError} can have.
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigErrorTag = ConfigError["_tag"]

/**
 * Validation found one or more problems; `problems` lists all of them, in
 * rule order (the seed's rules first).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMicroVmConfig extends TaggedError("InvalidMicroVmConfig")<{
  readonly problems: readonly [ConfigError, ...Array<ConfigError>]
}> {
  override get message(): string {
    const count = this.problems.length
    const lines = this.problems.map((problem) => `  - [${problem._tag}] ${problem.message}`)
    return `invalid MicroVm configuration (${count} problem${count === 1 ? "" : "s"}):\n${lines.join("\n")}`
  }
  /** The one problem's fix; with several, each problem's message ends with its own. */
  get hint(): string {
    return this.problems.length === 1 ? this.problems[0].hint : "Fix each problem listed; each one ends with its fix."
  }
}

const configErrorTags: ReadonlySet<string> = new Set<ConfigErrorTag>([
  "RootPathDoesNotExist",
  "HostPathDoesNotExist",
  "NumVCPUsIsZero",
  "MemoryIsZero",
  "InvalidCommandLineString",
  "ConflictingGuestPaths",
  "MissingRequiredField",
  "MalformedConfig",
  "RootPathNotADirectory",
  "EmptyOverlayfs",
  "HostPathNotADirectory",
  "NulCharacterInPath",
  "ConsoleOutputIsADirectory",
  "ConsoleOutputFolderMissing",
  "GuestPathNotAbsolute",
  "GuestPathEscapesRoot",
  "GuestPathIsRoot",
  "TooManyMappedDirs",
  "InvalidNumber",
  "TooManyVCPUs",
  "InvalidEnvKey",
  "ReservedEnvKey",
  "DoubleDashArgument",
  "QuoteInCommandLineString",
  "SpaceInUnquotedValue",
  "CommandLineTooLong",
  "InvalidPort",
  "DuplicateHostPort",
  "DuplicateGuestPort",
  "PortMapWithoutNetwork",
  "IpOutsideSubnet",
  "RlimitSoftExceedsHard",
  "InvalidPathPair",
  "InvalidMountMode",
  "InvalidPortPair",
  "InvalidEnvPair",
  "InvalidRlimitFormat",
  "InvalidRlimitValue",
  "InvalidRlimitResource",
  "InvalidNetworkScope",
  "InvalidLogLevel",
  "InvalidIpv4",
  "InvalidCidr",
  "InvalidImageReference"
])

/**
 * Every `_tag` a {@link ConfigError} can have, at runtime.
 *
 * @since 0.1.0
 * @category models
 */
export const configErrorTagList: ReadonlyArray<ConfigErrorTag> = [...configErrorTags] as Array<ConfigErrorTag>

/**
 * Recognises a {@link ConfigError}, also one created by another copy of this
 * package (it checks the krunbox error marker and the `_tag`, not the class).
 *
 * @since 0.1.0
 * @category guards
 */
export const isConfigError = (u: unknown): u is ConfigError => KrunboxError.isInstance(u) && configErrorTags.has(u._tag)

/**
 * Recognises an {@link InvalidMicroVmConfig}, also from another copy of this
 * package.
 *
 * @since 0.1.0
 * @category guards
 */
export const isInvalidMicroVmConfig = (u: unknown): u is InvalidMicroVmConfig => InvalidMicroVmConfig.isInstance(u)
