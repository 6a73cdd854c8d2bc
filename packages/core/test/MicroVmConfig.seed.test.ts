/**
 * Every test of the original's modules, reproduced: microsandbox 0.2.4
 * `microsandbox-core/lib/vm/vm.rs` (MicroVmConfig) and `vm/builder.rs`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EnvPair, FileSystem, LogLevel, MicroVmConfig, PathPair, PortPair, Rlimit, Rootfs } from "../src/index.js"
import { problemsOf, tags, tempDir } from "./helpers.js"

const parsePath = (input: string) => Effect.runSync(PathPair.parse(input))

describe("MicroVmConfig (seed: vm.rs tests)", () => {
  it.effect("builder sets log level, rootfs and memory and defaults the vCPUs (test_microvm_config_builder)", () =>
    Effect.sync(() => {
      const config = MicroVmConfig.builder()
        .logLevel(LogLevel.Info)
        .rootfs(Rootfs.native("/tmp"))
        .memoryMib(512)
        .execPath("/bin/echo")
        .build()
      assert.strictEqual(config.logLevel, LogLevel.Info)
      assert.deepStrictEqual(config.rootfs, Rootfs.native("/tmp"))
      assert.strictEqual(config.memoryMib, 512)
      assert.strictEqual(config.numVcpus, MicroVmConfig.DEFAULT_NUM_VCPUS)
    }))

  it.effect("a config with an existing rootfs validates (test_microvm_config_validation_success)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const config = MicroVmConfig.builder()
        .logLevel(LogLevel.Info)
        .rootfs(Rootfs.native(dir))
        .execPath("/bin/echo")
        .build()
      const validated = yield* MicroVmConfig.validate(config).pipe(Effect.provide(FileSystem.layer))
      assert.strictEqual(validated, config)
    }))

  it.effect("a missing root path is RootPathDoesNotExist (test_microvm_config_validation_failure_root_path)", () =>
    Effect.gen(function*() {
      const config = MicroVmConfig.builder()
        .logLevel(LogLevel.Info)
        .rootfs(Rootfs.native("/non/existent/path"))
        .memoryMib(512)
        .execPath("/bin/echo")
        .build()
      const error = yield* Effect.flip(MicroVmConfig.validateFailFast(config).pipe(Effect.provide(FileSystem.layer)))
      assert.strictEqual(error._tag, "RootPathDoesNotExist")
      assert.deepStrictEqual(tags(yield* problemsOf(config)), ["RootPathDoesNotExist"])
    }))

  it.effect("zero memory is MemoryIsZero (test_microvm_config_validation_failure_zero_ram)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const config = MicroVmConfig.builder()
        .logLevel(LogLevel.Info)
        .rootfs(Rootfs.native(dir))
        .memoryMib(0)
        .execPath("/bin/echo")
        .build()
      const error = yield* Effect.flip(MicroVmConfig.validateFailFast(config).pipe(Effect.provide(FileSystem.layer)))
      assert.strictEqual(error._tag, "MemoryIsZero")
    }))

  it.effect.each([
    "hello",
    "hello world",
    "Hello, World!",
    " ",
    "~",
    "!@#$%^&*()",
    "path/to/file",
    "user-name_123"
  ])("validateCommandLine accepts %j (test_validate_command_line_valid_strings)", (value) =>
    Effect.gen(function*() {
      assert.strictEqual(yield* MicroVmConfig.validateCommandLine(value), value)
    }))

  it.effect.each([
    ["newline", "\n"],
    ["tab", "\t"],
    ["carriage return", "\r"],
    ["escape", "\x1B"],
    ["emoji", "hello🌎"],
    ["umlaut", "über"],
    ["accent", "café"],
    ["Chinese characters", "你好"],
    ["embedded newline", "hello\nworld"],
    ["null byte", "path/to/file\0"],
    ["DEL character", "hello\x7F"]
  ])("validateCommandLine rejects a %s (test_validate_command_line_invalid_strings)", ([, value]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MicroVmConfig.validateCommandLine(value!))
      assert.strictEqual(error._tag, "InvalidCommandLineString")
      assert.strictEqual(error.value, value)
    }))

  it.effect("an invalid exec path or argument fails validation (test_validate_command_line_in_config)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const badExec = MicroVmConfig.builder()
        .rootfs(Rootfs.native(dir))
        .memoryMib(512)
        .execPath("/bin/hello\nworld")
        .build()
      const execError = yield* Effect.flip(
        MicroVmConfig.validateFailFast(badExec).pipe(Effect.provide(FileSystem.layer))
      )
      assert.strictEqual(execError._tag, "InvalidCommandLineString")

      const badArg = MicroVmConfig.builder()
        .rootfs(Rootfs.native(dir))
        .memoryMib(512)
        .execPath("/bin/echo")
        .args(["hello\tworld"])
        .build()
      const argError = yield* Effect.flip(MicroVmConfig.validateFailFast(badArg).pipe(Effect.provide(FileSystem.layer)))
      assert.strictEqual(argError._tag, "InvalidCommandLineString")
    }))

  describe("validateGuestPaths (test_validate_guest_paths)", () => {
    it.effect("/app, /data, /var/log, /etc/config do not conflict", () =>
      Effect.gen(function*() {
        yield* MicroVmConfig.validateGuestPaths(["/app", "/data", "/var/log", "/etc/config"].map(parsePath))
      }))

    it.effect.each([
      ["a duplicate", ["/app", "/data", "/app"]],
      ["a subset", ["/app", "/app/data", "/var/log"]],
      ["a parent", ["/var/log", "/var", "/etc"]],
      ["paths equal after normalisation", ["/app/./data", "/app/data/", "/var/log"]]
    ])("%s conflicts", ([, paths]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(MicroVmConfig.validateGuestPaths((paths as Array<string>).map(parsePath)))
        assert.deepStrictEqual(tags(error.problems), ["ConflictingGuestPaths"])
      }))

    it.effect("/app/./data, /var/log, /etc//config are fine once normalised", () =>
      Effect.gen(function*() {
        yield* MicroVmConfig.validateGuestPaths(["/app/./data", "/var/log", "/etc//config"].map(parsePath))
      }))
  })

  it.effect("mapped dirs with nested guest paths fail validation (test_microvm_config_validation_with_guest_paths)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const hostDir1 = path.join(dir, "dir1")
      const hostDir2 = path.join(dir, "dir2")
      fs.mkdirSync(hostDir1)
      fs.mkdirSync(hostDir2)

      const valid = MicroVmConfig.builder()
        .rootfs(Rootfs.native(dir))
        .memoryMib(1024)
        .execPath("/bin/echo")
        .mappedDirs([parsePath(`${hostDir1}:/app`), parsePath(`${hostDir2}:/data`)])
        .build()
      assert.deepStrictEqual(yield* problemsOf(valid), [])

      const invalid = MicroVmConfig.builder()
        .rootfs(Rootfs.native(dir))
        .memoryMib(1024)
        .execPath("/bin/echo")
        .mappedDirs([parsePath(`${hostDir1}:/app/data`), parsePath(`${hostDir2}:/app`)])
        .build()
      const error = yield* Effect.flip(MicroVmConfig.validateFailFast(invalid).pipe(Effect.provide(FileSystem.layer)))
      assert.strictEqual(error._tag, "ConflictingGuestPaths")
      if (error._tag === "ConflictingGuestPaths") {
        assert.strictEqual(error.first, "/app/data")
        assert.strictEqual(error.second, "/app")
      }
    }))
})

describe("MicroVmConfig builder (seed: builder.rs tests)", () => {
  it.effect("sets every field (test_microvm_builder)", () =>
    Effect.gen(function*() {
      const rootfs = Rootfs.overlayfs(["/tmp"])
      const mapped = yield* PathPair.parse("/guest/mount:/host/mount")
      const port = yield* PortPair.parse("8080:80")
      const rlimit = yield* Rlimit.parse("RLIMIT_NOFILE=1024:1024")
      const env = [yield* EnvPair.parse("KEY1=VALUE1"), yield* EnvPair.parse("KEY2=VALUE2")]
      const config = MicroVmConfig.builder()
        .logLevel(LogLevel.Debug)
        .rootfs(rootfs)
        .numVcpus(2)
        .memoryMib(1024)
        .mappedDirs([mapped])
        .portMap([port])
        .rlimits([rlimit])
        .workdirPath("/workdir")
        .execPath("/bin/example")
        .args(["arg1", "arg2"])
        .env(env)
        .consoleOutput("/tmp/console.log")
        .build()

      assert.strictEqual(config.logLevel, LogLevel.Debug)
      assert.deepStrictEqual(config.rootfs, rootfs)
      assert.strictEqual(config.numVcpus, 2)
      assert.strictEqual(config.memoryMib, 1024)
      assert.deepStrictEqual(config.mappedDirs, [yield* PathPair.parse("/guest/mount:/host/mount")])
      assert.deepStrictEqual(config.portMap, [yield* PortPair.parse("8080:80")])
      assert.deepStrictEqual(config.rlimits, [yield* Rlimit.parse("RLIMIT_NOFILE=1024:1024")])
      assert.strictEqual(config.workdirPath, "/workdir")
      assert.strictEqual(config.execPath, "/bin/example")
      assert.deepStrictEqual(config.args, ["arg1", "arg2"])
      assert.deepStrictEqual(config.env, [{ key: "KEY1", value: "VALUE1" }, { key: "KEY2", value: "VALUE2" }])
      assert.strictEqual(config.consoleOutput, "/tmp/console.log")
    }))

  it.effect("leaves every other field at its default (test_microvm_builder_minimal)", () =>
    Effect.sync(() => {
      const rootfs = Rootfs.native("/tmp")
      const config = MicroVmConfig.builder().rootfs(rootfs).execPath("/bin/echo").build()
      assert.deepStrictEqual(config.rootfs, rootfs)
      assert.strictEqual(config.memoryMib, 1024)
      assert.strictEqual(config.logLevel, LogLevel.defaultLevel)
      assert.strictEqual(config.numVcpus, MicroVmConfig.DEFAULT_NUM_VCPUS)
      assert.strictEqual(config.memoryMib, MicroVmConfig.DEFAULT_MEMORY_MIB)
      assert.deepStrictEqual(config.mappedDirs, [])
      assert.deepStrictEqual(config.portMap, [])
      assert.deepStrictEqual(config.rlimits, [])
      assert.strictEqual(config.workdirPath, undefined)
      assert.strictEqual(config.execPath, "/bin/echo")
      assert.deepStrictEqual(config.args, [])
      assert.deepStrictEqual(config.env, [])
      assert.strictEqual(config.consoleOutput, undefined)
    }))
})
