/**
 * One example of every error, with the values the README shows. The README
 * test checks that each message appears in README.md word for word.
 */
import { ConfigError } from "../src/index.js"

const E = ConfigError

export const examples: ReadonlyArray<ConfigError.ConfigError | ConfigError.InvalidMicroVmConfig> = [
  new E.RootPathDoesNotExist({ path: "/srv/rootfs" }),
  new E.HostPathDoesNotExist({ path: "/srv/data", guest: "/data" }),
  new E.NumVCPUsIsZero({ numVcpus: 0 }),
  new E.MemoryIsZero({ memoryMib: 0 }),
  new E.InvalidCommandLineString({ field: "args[0]", value: "hello\nworld", index: 5, codePoint: 10 }),
  new E.ConflictingGuestPaths({ first: "/app", second: "/app/data" }),
  new E.MissingRequiredField({ field: "rootfs" }),
  new E.MissingRequiredField({ field: "execPath" }),
  new E.MalformedConfig({ field: "args[1]", value: 7, expected: "string" }),
  new E.RootPathNotADirectory({ path: "/srv/rootfs.img" }),
  new E.EmptyOverlayfs({ paths: [] }),
  new E.HostPathNotADirectory({ path: "/srv/file.txt", guest: "/data" }),
  new E.NulCharacterInPath({ field: "mappedDirs[0].host", path: "/srv/data\0x" }),
  new E.ConsoleOutputIsADirectory({ path: "/srv/logs" }),
  new E.ConsoleOutputFolderMissing({ path: "/srv/nope/console.log", folder: "/srv/nope" }),
  new E.GuestPathIsRoot({ field: "mappedDirs[0].guest", path: "/" }),
  new E.InvalidMountMode({ input: "/srv/data:/data:readonly", mode: "readonly" }),
  new E.GuestPathNotAbsolute({ field: "mappedDirs[0].guest", path: "data" }),
  new E.GuestPathEscapesRoot({ field: "mappedDirs[0].guest", path: "/data/../.." }),
  new E.TooManyMappedDirs({ count: 7, max: 6 }),
  new E.InvalidNumber({ field: "numVcpus", value: 1.5, min: 1, max: 255 }),
  new E.InvalidNumber({ field: "memoryMib", value: -1, min: 1, max: 4294967295 }),
  new E.TooManyVCPUs({ numVcpus: 9, max: 8, limitSource: "host" }),
  new E.TooManyVCPUs({ numVcpus: 256, max: 255, limitSource: "libkrun" }),
  new E.InvalidEnvKey({ field: "env[0].key", key: "VAR.WITH.DOTS" }),
  new E.ReservedEnvKey({ field: "env[0].key", key: "KRUN_INIT" }),
  new E.DoubleDashArgument({ field: "args[2]", value: "--" }),
  new E.QuoteInCommandLineString({ field: "env[0].value", value: "say \"hi\"" }),
  new E.SpaceInUnquotedValue({ field: "execPath", value: "/opt/my app/run" }),
  new E.CommandLineTooLong({ limit: "bytes", size: 1800, budget: 1743 }),
  new E.CommandLineTooLong({ limit: "envEntries", size: 30, budget: 29 }),
  new E.CommandLineTooLong({ limit: "initArgs", size: 31, budget: 30 }),
  new E.InvalidPort({ field: "portMap[0].host", port: 0 }),
  new E.DuplicateHostPort({ port: 8080 }),
  new E.DuplicateGuestPort({ port: 80 }),
  new E.PortMapWithoutNetwork({ scope: "none", ports: ["8080:80"] }),
  new E.IpOutsideSubnet({ ip: "10.0.1.2", subnet: "10.0.0.0/24" }),
  new E.RlimitSoftExceedsHard({ name: "RLIMIT_NOFILE", soft: 4096n, hard: 1024n }),
  new E.InvalidPathPair({ input: ":/data" }),
  new E.InvalidPortPair({ input: "80:http" }),
  new E.InvalidEnvPair({ input: "=VALUE" }),
  new E.InvalidRlimitFormat({ input: "RLIMIT_CPU=10" }),
  new E.InvalidRlimitValue({ field: "soft", value: "lots" }),
  new E.InvalidRlimitResource({ resource: "RLIMIT_INVALID" }),
  new E.InvalidNetworkScope({ input: "internet" }),
  new E.InvalidLogLevel({ value: 9 }),
  new E.InvalidIpv4({ input: "10.0.0.256" }),
  new E.InvalidCidr({ input: "10.0.0.0/40" }),
  new E.InvalidImageReference({ reference: "Alpine:3.20", reason: "repository names must be lowercase (\"Alpine\")" })
]
