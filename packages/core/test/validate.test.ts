/**
 * krunbox's validation rules beyond the original: one behaviour per test, the
 * exact message each produces, accumulation and fail-fast.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { CommandLine, ConfigError, EnvPair, FileSystem, MicroVmConfig, Rlimit, Rootfs } from "../src/index.js"
import { problemsOf, tags, tempDir } from "./helpers.js"

const testFs = FileSystem.layerTest({
  "/rootfs": "directory",
  "/layer1": "directory",
  "/layer2": "directory",
  "/srv/data": "directory",
  "/srv/logs": "directory",
  "/srv/file.txt": "file",
  "/rootfs.img": "file"
})

const base: MicroVmConfig.Input = { rootfs: Rootfs.native("/rootfs"), execPath: "/bin/echo" }
const config = (patch: Partial<MicroVmConfig.Input>) => MicroVmConfig.make({ ...base, ...patch })

const problems = (cfg: MicroVmConfig.MicroVmConfig, options: MicroVmConfig.ValidateOptions = {}) =>
  MicroVmConfig.validate(cfg, options).pipe(
    Effect.as([] as ReadonlyArray<ConfigError.ConfigError>),
    Effect.catchTag("InvalidMicroVmConfig", (error) => Effect.succeed(error.problems)),
    Effect.provide(testFs)
  )

const messages = (list: ReadonlyArray<ConfigError.ConfigError>): ReadonlyArray<readonly [string, string]> =>
  list.map((p) => [p._tag, p.message] as const)

const cases: ReadonlyArray<
  readonly [string, Partial<MicroVmConfig.Input>, ReadonlyArray<readonly [string, string]>, MicroVmConfig.ValidateOptions?]
> = [
  ["a rootfs that is a file", { rootfs: Rootfs.native("/rootfs.img") }, [[
    "RootPathNotADirectory",
    "root path is not a directory: /rootfs.img. The rootfs must be a directory tree (e.g. an unpacked image), not a file."
  ]]],
  ["an overlayfs layer that is missing", { rootfs: Rootfs.overlayfs(["/layer1", "/nope", "/layer2"]) }, [[
    "RootPathDoesNotExist",
    "root path does not exist: /nope. Create the directory or point rootfs at an existing directory."
  ]]],
  ["an overlayfs without layers", { rootfs: Rootfs.overlayfs([]) }, [[
    "EmptyOverlayfs",
    "overlayfs rootfs has no layers. Pass at least one directory to Rootfs.overlayfs([...])."
  ]]],
  ["a missing mapped host path", { mappedDirs: [{ host: "/srv/missing", guest: "/data" }] }, [[
    "HostPathDoesNotExist",
    "host path does not exist: /srv/missing. Create it or fix the mapping \"/srv/missing:/data\"."
  ]]],
  ["a mapped host path that is a file", { mappedDirs: [{ host: "/srv/file.txt", guest: "/data" }] }, [[
    "HostPathNotADirectory",
    "host path is not a directory: /srv/file.txt. Only directories can be mapped (virtio-fs shares directories); map its parent directory instead."
  ]]],
  ["a NUL in a host path", { mappedDirs: [{ host: "/srv/data\0x", guest: "/data" }] }, [[
    "NulCharacterInPath",
    "mappedDirs[0].host contains a NUL character, which cannot be passed to libkrun: \"/srv/data\\u0000x\". Remove it."
  ]]],
  ["a relative guest path", { mappedDirs: [{ host: "/srv/data", guest: "data" }] }, [[
    "GuestPathNotAbsolute",
    "guest path must be absolute: mappedDirs[0].guest = \"data\". Start it with \"/\"."
  ]]],
  ["a guest path above the root", { mappedDirs: [{ host: "/srv/data", guest: "/data/../.." }] }, [[
    "GuestPathEscapesRoot",
    "guest path climbs above the root directory: mappedDirs[0].guest = \"/data/../..\". Remove the extra \"..\" components."
  ]]],
  ["more vCPUs than the host has", { numVcpus: 9 }, [[
    "TooManyVCPUs",
    "number of vCPUs (9) exceeds this host's maximum of 8. Set numVcpus to 8 or less."
  ]], { hostMaxVcpus: 8 }],
  ["more vCPUs than libkrun's uint8_t", { numVcpus: 256 }, [[
    "TooManyVCPUs",
    "number of vCPUs (256) exceeds libkrun's maximum of 255. Set numVcpus to 255 or less."
  ]]],
  ["a fractional vCPU count", { numVcpus: 1.5 }, [[
    "InvalidNumber",
    "numVcpus must be a whole number from 1 to 255, got 1.5. Use an integer in that range."
  ]]],
  ["negative memory", { memoryMib: -1 }, [[
    "InvalidNumber",
    "memoryMib must be a whole number from 1 to 4294967295, got -1. Use an integer in that range."
  ]]],
  ["a non-ASCII env value", { env: [EnvPair.make("GREETING", "héllo")] }, [[
    "InvalidCommandLineString",
    "command line contains invalid characters (only ASCII characters between space and tilde are allowed): env[0].value = \"héllo\" has U+00E9 at index 1. Remove control and non-ASCII characters, or pass such data through a file in a mapped directory."
  ]]],
  ["an env name with a dot", { env: [EnvPair.make("VAR.WITH.DOTS", "x")] }, [[
    "InvalidEnvKey",
    "invalid environment variable name: env[0].key = \"VAR.WITH.DOTS\". Use letters, digits and underscores, not starting with a digit (e.g. MY_VAR); the guest kernel drops or misreads other names."
  ]]],
  ["an env name starting with a digit", { env: [EnvPair.make("1VAR", "x")] }, [[
    "InvalidEnvKey",
    "invalid environment variable name: env[0].key = \"1VAR\". Use letters, digits and underscores, not starting with a digit (e.g. MY_VAR); the guest kernel drops or misreads other names."
  ]]],
  ["an env name reserved by libkrun", { env: [EnvPair.make("KRUN_INIT", "/bin/sh")] }, [[
    "ReservedEnvKey",
    "environment variable name is reserved: env[0].key = \"KRUN_INIT\". Rename it; KRUN_* names configure libkrun's guest init, KRUNBOX_* names krunbox's own (KRUNBOX_MOUNTS, ...), and kernel parameter names (init, root, console, panic, ...) are taken by the guest kernel instead of reaching the workload."
  ]]],
  ["an env name krunbox uses itself (KRUNBOX_*)", { env: [EnvPair.make("KRUNBOX_MOUNTS", "krunbox0:/etc")] }, [[
    "ReservedEnvKey",
    "environment variable name is reserved: env[0].key = \"KRUNBOX_MOUNTS\". Rename it; KRUN_* names configure libkrun's guest init, KRUNBOX_* names krunbox's own (KRUNBOX_MOUNTS, ...), and kernel parameter names (init, root, console, panic, ...) are taken by the guest kernel instead of reaching the workload."
  ]]],
  ["an env name the guest kernel would take as its init= parameter", { env: [EnvPair.make("init", "/bin/sh")] }, [[
    "ReservedEnvKey",
    "environment variable name is reserved: env[0].key = \"init\". Rename it; KRUN_* names configure libkrun's guest init, KRUNBOX_* names krunbox's own (KRUNBOX_MOUNTS, ...), and kernel parameter names (init, root, console, panic, ...) are taken by the guest kernel instead of reaching the workload."
  ]]],
  ["an argument that is exactly --", { args: ["-c", "echo", "--", "x"] }, [[
    "DoubleDashArgument",
    "args[2] is \"--\", which the guest kernel takes as the end of init's arguments: it and every later argument would be silently dropped. Pass it another way, e.g. inside a \"sh -c\" script or a file in a mapped directory."
  ]]],
  ["a non-ASCII guest path", { mappedDirs: [{ host: "/srv/data", guest: "/données" }] }, [[
    "InvalidCommandLineString",
    "command line contains invalid characters (only ASCII characters between space and tilde are allowed): mappedDirs[0].guest = \"/données\" has U+00E9 at index 5. Remove control and non-ASCII characters, or pass such data through a file in a mapped directory."
  ]]],
  ["a double quote in a guest path", { mappedDirs: [{ host: "/srv/data", guest: "/a\"b" }] }, [[
    "QuoteInCommandLineString",
    "mappedDirs[0].guest contains a double quote (\"), which the guest kernel command line cannot carry: \"/a\\\"b\". Remove the quote, or pass the value through a file in a mapped directory."
  ]]],
  ["a double quote in an env value", { env: [EnvPair.make("MSG", "say \"hi\"")] }, [[
    "QuoteInCommandLineString",
    "env[0].value contains a double quote (\"), which the guest kernel command line cannot carry: \"say \\\"hi\\\"\". Remove the quote, or pass the value through a file in a mapped directory."
  ]]],
  ["a double quote in an argument", { args: ["-c", "echo \"x\""] }, [[
    "QuoteInCommandLineString",
    "args[1] contains a double quote (\"), which the guest kernel command line cannot carry: \"echo \\\"x\\\"\". Remove the quote, or pass the value through a file in a mapped directory."
  ]]],
  ["a space in the exec path", { execPath: "/opt/my app/run" }, [[
    "SpaceInUnquotedValue",
    "execPath cannot contain spaces or double quotes (libkrun puts it unquoted on the guest kernel command line): \"/opt/my app/run\". Use a path without spaces, e.g. via a symlink."
  ]]],
  ["a space in the workdir", { workdirPath: "/home/my dir" }, [[
    "SpaceInUnquotedValue",
    "workdirPath cannot contain spaces or double quotes (libkrun puts it unquoted on the guest kernel command line): \"/home/my dir\". Use a path without spaces, e.g. via a symlink."
  ]]],
  ["a relative workdir", { workdirPath: "work" }, [[
    "GuestPathNotAbsolute",
    "guest path must be absolute: workdirPath = \"work\". Start it with \"/\"."
  ]]],
  ["port 0", { scope: "any", portMap: [{ host: 0, guest: 80 }] }, [[
    "InvalidPort",
    "port out of range: portMap[0].host = 0. Use a whole number from 1 to 65535."
  ]]],
  ["port 65536", { scope: "any", portMap: [{ host: 8080, guest: 65536 }] }, [[
    "InvalidPort",
    "port out of range: portMap[0].guest = 65536. Use a whole number from 1 to 65535."
  ]]],
  ["a host port mapped twice", { scope: "any", portMap: [{ host: 8080, guest: 80 }, { host: 8080, guest: 81 }] }, [[
    "DuplicateHostPort",
    "host port 8080 is mapped more than once. A host port can forward to one guest port only; remove or change the duplicate mapping."
  ]]],
  ["a guest port mapped twice", { scope: "any", portMap: [{ host: 8080, guest: 80 }, { host: 8081, guest: 80 }] }, [[
    "DuplicateGuestPort",
    "guest port 80 is mapped more than once. libkrun forwards each guest port from one host port only; remove the duplicate mapping."
  ]]],
  ["ports with scope none", { portMap: [{ host: 8080, guest: 80 }] }, [[
    "PortMapWithoutNetwork",
    "ports are mapped (8080:80) but the network scope is \"none\", which gives the guest no network. Set scope to \"any\" (or another scope your engine supports) or remove the port map."
  ]]],
  ["an ip outside the subnet", { ip: "10.0.1.2", subnet: "10.0.0.0/24" }, [[
    "IpOutsideSubnet",
    "ip 10.0.1.2 is not inside subnet 10.0.0.0/24. Choose an address within the subnet, or widen the subnet."
  ]]],
  ["a malformed ip", { ip: "10.0.0.256" }, [[
    "InvalidIpv4",
    "invalid IPv4 address: \"10.0.0.256\". Write four numbers 0..255 separated by dots, without leading zeros, e.g. 10.0.0.2."
  ]]],
  ["a malformed subnet", { subnet: "10.0.0.0/40" }, [[
    "InvalidCidr",
    "invalid IPv4 subnet: \"10.0.0.0/40\". Write ADDRESS/PREFIX with a prefix from 0 to 32, e.g. 10.0.0.0/24."
  ]]],
  ["an unknown scope from untyped code", { scope: "internet" as never }, [[
    "InvalidNetworkScope",
    "invalid network scope: \"internet\". Use one of none, group, public, any."
  ]]],
  ["an unknown log level from untyped code", { logLevel: 9 as never }, [[
    "InvalidLogLevel",
    "invalid log level: 9. Use 0..5 or off, error, warn, info, debug, trace."
  ]]],
  ["an rlimit soft above hard", { rlimits: [{ resource: 7, name: "RLIMIT_NOFILE", soft: 4096n, hard: 1024n }] }, [[
    "RlimitSoftExceedsHard",
    "soft limit 4096 exceeds hard limit 1024 for RLIMIT_NOFILE. Lower the soft limit or raise the hard one (soft <= hard)."
  ]]],
  ["an rlimit with an unknown resource", { rlimits: [{ resource: 42, name: "RLIMIT_FOO", soft: 1n, hard: 1n }] }, [[
    "InvalidRlimitResource",
    "unknown resource limit: \"RLIMIT_FOO (42)\". Use a Linux name such as RLIMIT_NOFILE (or NOFILE, nofile) or its number 0..15."
  ]]],
  ["an rlimit value above 2^64-1", { rlimits: [{ resource: 7, name: "RLIMIT_NOFILE", soft: 1n, hard: 2n ** 64n }] }, [[
    "InvalidRlimitValue",
    "invalid resource limit value: rlimits[0].hard = \"18446744073709551616\". Use a whole number from 0 to 18446744073709551615, or \"unlimited\"."
  ]]],
  ["seven mapped directories", {
    mappedDirs: ["/a", "/b", "/c", "/d", "/e", "/f", "/g"].map((guest) => ({ host: "/srv/data", guest }))
  }, [[
    "TooManyMappedDirs",
    "too many mapped directories: 7, at most 6 (each is a virtio-fs device and libkrun on x86-64 has 11 device interrupts, 5 of which it uses itself). Map a common parent directory instead."
  ]]],
  ["a NUL in the console output path", { consoleOutput: "/tmp/console\0.log" }, [[
    "NulCharacterInPath",
    "consoleOutput contains a NUL character, which cannot be passed to libkrun: \"/tmp/console\\u0000.log\". Remove it."
  ]]],
  ["a process limit of 0", { pidsLimit: 0 }, [[
    "InvalidNumber",
    "pidsLimit must be a whole number from 1 to 4194304, got 0. Use an integer in that range."
  ]]],
  ["a process limit above Linux's pid ceiling", { pidsLimit: 4_194_305 }, [[
    "InvalidNumber",
    "pidsLimit must be a whole number from 1 to 4194304, got 4194305. Use an integer in that range."
  ]]],
  ["a fractional process limit", { pidsLimit: 1.5 }, [[
    "InvalidNumber",
    "pidsLimit must be a whole number from 1 to 4194304, got 1.5. Use an integer in that range."
  ]]],
  ["a host directory mapped over the guest's root", { mappedDirs: [{ host: "/srv/data", guest: "/" }] }, [[
    "GuestPathIsRoot",
    "a host directory cannot be mapped over the guest's root: mappedDirs[0].guest = \"/\". Map it below the root (e.g. HOST:/data), or make it the rootfs instead (--rootfs HOST, .rootfs(HOST))."
  ]]],
  ["a guest path that normalises to the root", { mappedDirs: [{ host: "/srv/data", guest: "/data/.." }] }, [[
    "GuestPathIsRoot",
    "a host directory cannot be mapped over the guest's root: mappedDirs[0].guest = \"/data/..\". Map it below the root (e.g. HOST:/data), or make it the rootfs instead (--rootfs HOST, .rootfs(HOST))."
  ]]],
  ["a console output path that is a directory", { consoleOutput: "/srv/logs" }, [[
    "ConsoleOutputIsADirectory",
    "consoleOutput is a directory: \"/srv/logs\". Name a file for the guest console, e.g. \"/srv/logs/console.log\"."
  ]]],
  ["a console output file in a missing folder", { consoleOutput: "/srv/nope/console.log" }, [[
    "ConsoleOutputFolderMissing",
    "the folder of consoleOutput \"/srv/nope/console.log\" does not exist or is not a directory: \"/srv/nope\". Create it first (mkdir -p), or name a file in an existing folder."
  ]]],
  ["a console output file below a file", { consoleOutput: "/srv/file.txt/console.log" }, [[
    "ConsoleOutputFolderMissing",
    "the folder of consoleOutput \"/srv/file.txt/console.log\" does not exist or is not a directory: \"/srv/file.txt\". Create it first (mkdir -p), or name a file in an existing folder."
  ]]]
]

describe("MicroVmConfig.validate: krunbox rules", () => {
  it.effect("the base configuration is valid", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problems(config({})), [])
    }))

  it.effect.each(cases)("reports %s", ([, patch, expected, options]) =>
    Effect.gen(function*() {
      assert.deepStrictEqual(messages(yield* problems(config(patch), options ?? {})), expected)
    }))

  it.effect("ignores a host vCPU maximum that is not a usable number", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problems(config({ numVcpus: 4 }), { hostMaxVcpus: -22 }), [])
    }))

  it.effect("accepts a guest port reused by no one and distinct host ports with scope any", () =>
    Effect.gen(function*() {
      const cfg = config({ scope: "any", portMap: [{ host: 8080, guest: 80 }, { host: 8443, guest: 443 }] })
      assert.deepStrictEqual(yield* problems(cfg), [])
    }))

  it.effect("accepts an ip inside its subnet, and either alone", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problems(config({ ip: "10.0.0.7", subnet: "10.0.0.0/24" })), [])
      assert.deepStrictEqual(yield* problems(config({ ip: "10.0.0.7" })), [])
      assert.deepStrictEqual(yield* problems(config({ subnet: "10.0.0.0/24" })), [])
    }))

  it.effect("accepts soft == hard and unlimited limits", () =>
    Effect.gen(function*() {
      const rlimits = [
        yield* Rlimit.parse("RLIMIT_NOFILE=1024:1024"),
        yield* Rlimit.parse("RLIMIT_CORE=0:unlimited")
      ]
      assert.deepStrictEqual(yield* problems(config({ rlimits })), [])
    }))

  it.effect("accepts a console output file, new or existing, in an existing folder", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problems(config({ consoleOutput: "/srv/logs/new.log" })), [])
      assert.deepStrictEqual(yield* problems(config({ consoleOutput: "/srv/file.txt" })), [])
    }))

  it.effect("accepts six mapped directories", () =>
    Effect.gen(function*() {
      const mappedDirs = ["/a", "/b", "/c", "/d", "/e", "/f"].map((guest) => ({ host: "/srv/data", guest }))
      assert.deepStrictEqual(yield* problems(config({ mappedDirs })), [])
    }))

  it.effect("reports every conflicting guest-path pair", () =>
    Effect.gen(function*() {
      const mappedDirs = ["/app", "/app/a", "/app/b"].map((guest) => ({ host: "/srv/data", guest }))
      const found = yield* problems(config({ mappedDirs }))
      assert.deepStrictEqual(
        found.map((p) => p._tag === "ConflictingGuestPaths" ? [p.first, p.second] : []),
        [["/app", "/app/a"], ["/app", "/app/b"]]
      )
    }))

  it.effect("reports a mapped / as GuestPathIsRoot, not also as conflicting with every other mapping", () =>
    Effect.gen(function*() {
      const mappedDirs = ["/", "/data"].map((guest) => ({ host: "/srv/data", guest }))
      assert.deepStrictEqual(tags(yield* problems(config({ mappedDirs }))), ["GuestPathIsRoot"])
    }))
})

describe("MicroVmConfig.validate: required fields and shape", () => {
  it.effect("reports missing rootfs and execPath from untyped code", () =>
    Effect.gen(function*() {
      const untyped = { ...config({}), rootfs: undefined, execPath: "" } as unknown as MicroVmConfig.MicroVmConfig
      assert.deepStrictEqual(messages(yield* problems(untyped)), [
        ["MissingRequiredField", "rootfs is required. Call .rootfs(...) on the builder or pass rootfs to MicroVmConfig.make."],
        [
          "MissingRequiredField",
          "execPath is required. Call .execPath(...) on the builder or pass execPath to MicroVmConfig.make."
        ]
      ])
    }))

  it.effect("reports wrongly typed fields as MalformedConfig with their path", () =>
    Effect.gen(function*() {
      const untyped = { ...config({}), args: ["ok", 7], numVcpus: "2" } as unknown as MicroVmConfig.MicroVmConfig
      assert.deepStrictEqual(messages(yield* problems(untyped)), [
        [
          "MalformedConfig",
          "malformed configuration: numVcpus must be number, got \"2\". Build the configuration with MicroVmConfig.make or MicroVmConfig.builder()."
        ],
        [
          "MalformedConfig",
          "malformed configuration: args[1] must be string, got 7. Build the configuration with MicroVmConfig.make or MicroVmConfig.builder()."
        ]
      ])
    }))

  it.effect("describes values JSON cannot show (bigints in null-prototype objects)", () =>
    Effect.gen(function*() {
      const odd = Object.assign(Object.create(null) as object, { x: 1n })
      const untyped = { ...config({}), args: [odd] } as unknown as MicroVmConfig.MicroVmConfig
      const found = yield* problems(untyped)
      assert.deepStrictEqual(tags(found), ["MalformedConfig"])
      assert.include(found[0]!.message, "args[0] must be string, got {\"x\":\"1n\"}")
    }))

  it.effect("reports a non-object", () =>
    Effect.gen(function*() {
      const found = yield* problems(null as unknown as MicroVmConfig.MicroVmConfig)
      assert.deepStrictEqual(tags(found), ["MalformedConfig"])
    }))

  it("the builder throws MissingRequiredField when types are bypassed", () => {
    const incomplete = MicroVmConfig.builder().execPath("/bin/echo") as unknown as MicroVmConfig.MicroVmConfigBuilder<
      true,
      true
    >
    assert.throws(() => incomplete.build(), /rootfs is required/)
    try {
      incomplete.build()
    } catch (error) {
      assert.isTrue(ConfigError.isConfigError(error))
      assert.strictEqual((error as ConfigError.ConfigError)._tag, "MissingRequiredField")
    }
  })
})

describe("MicroVmConfig.validate: accumulation", () => {
  const messy = config({
    rootfs: Rootfs.native("/missing-root"),
    numVcpus: 0,
    memoryMib: 0,
    execPath: "/bin/echo\n",
    mappedDirs: [{ host: "/srv/data", guest: "/app" }, { host: "/srv/logs", guest: "/app/logs" }],
    env: [EnvPair.make("BAD-NAME", "x")],
    portMap: [{ host: 8080, guest: 80 }]
  })

  it.effect("reports every problem at once, the original's rules first", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(tags(yield* problems(messy)), [
        "RootPathDoesNotExist",
        "NumVCPUsIsZero",
        "MemoryIsZero",
        "InvalidCommandLineString",
        "ConflictingGuestPaths",
        "InvalidEnvKey",
        "PortMapWithoutNetwork"
      ])
    }))

  it.effect("the summary message lists each problem on its own line", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MicroVmConfig.validate(messy).pipe(Effect.provide(testFs)))
      const lines = error.message.split("\n")
      assert.strictEqual(lines[0], "invalid MicroVm configuration (7 problems):")
      assert.strictEqual(lines[1], "  - [RootPathDoesNotExist] root path does not exist: /missing-root. Create the directory or point rootfs at an existing directory.")
      assert.strictEqual(lines.length, 8)
      assert.isTrue(ConfigError.isInvalidMicroVmConfig(error))
    }))

  it.effect("validateFailFast stops at the first problem", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MicroVmConfig.validateFailFast(messy).pipe(Effect.provide(testFs)))
      assert.strictEqual(error._tag, "RootPathDoesNotExist")
    }))

  it.effect("validateFailFast stops before touching the filesystem again once a rule fails", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const recording = FileSystem.FileSystem.of({
        kind: (p) => Effect.sync(() => (seen.push(p), { _tag: "Missing" as const }))
      })
      const cfg = config({ mappedDirs: [{ host: "/srv/data", guest: "/data" }] })
      yield* Effect.flip(MicroVmConfig.validateFailFast(cfg).pipe(Effect.provideService(FileSystem.FileSystem, recording)))
      assert.deepStrictEqual(seen, ["/rootfs"])
    }))
})

describe("MicroVmConfig.validate: the live filesystem", () => {
  it.effect("rejects a rootfs that is a file and accepts a directory", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "image.ext4")
      fs.writeFileSync(file, "")
      assert.deepStrictEqual(tags(yield* problemsOf(config({ rootfs: Rootfs.native(file) }))), ["RootPathNotADirectory"])
      assert.deepStrictEqual(yield* problemsOf(config({ rootfs: Rootfs.native(dir) })), [])
    }))

  it.effect("follows symlinks and treats a dangling one as missing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      fs.symlinkSync(dir, path.join(dir, "self"))
      fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "dangling"))
      const cfg = config({
        rootfs: Rootfs.native(path.join(dir, "self")),
        mappedDirs: [{ host: path.join(dir, "dangling"), guest: "/data" }]
      })
      assert.deepStrictEqual(tags(yield* problemsOf(cfg)), ["HostPathDoesNotExist"])
    }))

  it("runs synchronously with Effect.runSync, as the SDK does", () => {
    const cfg = MicroVmConfig.make({ rootfs: Rootfs.native(process.cwd()), execPath: "/bin/echo" })
    const validated = Effect.runSync(MicroVmConfig.validate(cfg).pipe(Effect.provide(FileSystem.layer)))
    assert.strictEqual(validated, cfg)
    const broken = MicroVmConfig.make({ rootfs: Rootfs.native("/definitely/not/here"), execPath: "/bin/echo" })
    assert.throws(
      () => Effect.runSync(MicroVmConfig.validate(broken).pipe(Effect.provide(FileSystem.layer))),
      /root path does not exist: \/definitely\/not\/here/
    )
  })
})

describe("MicroVmConfig.validate: command-line budget", () => {
  const budgetOf = (cfg: MicroVmConfig.MicroVmConfig) =>
    CommandLine.measure({
      execPath: cfg.execPath,
      workdirPath: cfg.workdirPath,
      rlimits: cfg.rlimits,
      env: cfg.env,
      args: cfg.args,
      mappedDirCount: cfg.mappedDirs.length,
      scope: cfg.scope
    })

  it.effect("accepts args that fill the budget exactly and rejects one byte more", () =>
    Effect.gen(function*() {
      const empty = budgetOf(config({ args: [""] }))
      // One arg of n bytes costs n + 2 quotes; with one empty arg the size is 2.
      const fill = empty.bytes.budget - empty.bytes.size
      const exact = config({ args: ["x".repeat(fill)] })
      assert.strictEqual(budgetOf(exact).bytes.size, budgetOf(exact).bytes.budget)
      assert.strictEqual(budgetOf(exact).bytes.total, CommandLine.KERNEL_COMMAND_LINE_MAX)
      assert.deepStrictEqual(yield* problems(exact), [])
      const over = config({ args: ["x".repeat(fill + 1)] })
      const found = yield* problems(over)
      assert.deepStrictEqual(tags(found), ["CommandLineTooLong"])
      const error = found[0] as ConfigError.CommandLineTooLong
      assert.strictEqual(error.limit, "bytes")
      assert.strictEqual(error.size, error.budget + 1)
      assert.strictEqual(
        error.message,
        `guest kernel command line too long: args, env, exec path, workdir and rlimits need ${error.size} bytes, the budget is ${error.budget} bytes (the guest kernel keeps 2047 bytes of command line; libkrun's own entries use the rest). Shorten them, or pass large data through a file in a mapped directory.`
      )
    }))

  it.effect("counts env, workdir, rlimits and mapped directories against the same budget", () =>
    Effect.sync(() => {
      const small = budgetOf(config({ env: [EnvPair.make("A", "1")] }))
      // The KRUN_INIT= key is libkrun's; its value and the quoted env entry are the configuration's.
      assert.strictEqual(small.bytes.size, "/bin/echo".length + "\"A=1\"".length)
      const withDirs = budgetOf(config({ mappedDirs: [{ host: "/srv/data", guest: "/data" }] }))
      assert.strictEqual(small.bytes.budget - withDirs.bytes.budget, " virtio_mmio.device=4K@0xd0005000:10".length)
    }))

  it.effect("allows 29 environment variables without workdir and rlimits, and reports the 30th", () =>
    Effect.gen(function*() {
      const env = (n: number) => Array.from({ length: n }, (_, i) => EnvPair.make(`V${i}`, "x"))
      assert.deepStrictEqual(yield* problems(config({ env: env(29) })), [])
      const found = yield* problems(config({ env: env(30) }))
      assert.deepStrictEqual(messages(found), [[
        "CommandLineTooLong",
        "too many environment variables for the guest kernel: 30, at most 29 (the kernel hands at most 32 variables to init, and it and libkrun use the rest). Drop variables, or put them in a file the workload reads."
      ]])
      const withWorkdir = yield* problems(config({ env: env(29), workdirPath: "/work" }))
      assert.deepStrictEqual(tags(withWorkdir), ["CommandLineTooLong"])
    }))

  it.effect("does not count HOME and TERM twice: the kernel replaces them", () =>
    Effect.sync(() => {
      const env = [EnvPair.make("HOME", "/root"), EnvPair.make("TERM", "xterm")]
      assert.strictEqual(budgetOf(config({ env })).envEntries.size, 0)
    }))

  it.effect("allows 30 arguments and reports the 31st", () =>
    Effect.gen(function*() {
      const args = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`)
      assert.deepStrictEqual(yield* problems(config({ args: args(30) })), [])
      assert.deepStrictEqual(messages(yield* problems(config({ args: args(31) }))), [[
        "CommandLineTooLong",
        "too many arguments for the guest kernel: 31, at most 30 (the kernel hands at most 32 arguments to init, and it uses the rest). Pass fewer arguments, or put them in a file the workload reads."
      ]])
    }))

  it.effect("keeps room the engine reserves", () =>
    Effect.gen(function*() {
      const env = Array.from({ length: 29 }, (_, i) => EnvPair.make(`V${i}`, "x"))
      const found = yield* problems(config({ env }), { reserve: { envEntries: 1, bytes: 10 } })
      assert.deepStrictEqual(tags(found), ["CommandLineTooLong"])
    }))
})
