/**
 * Property tests: every parser's `parse ∘ format` is the identity on its
 * values, and no input string makes a parser do anything but succeed or fail
 * with its own typed error. 10,000 runs each; the seed is printed so a
 * failure can be replayed with `FC_SEED=<seed>`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as fc from "fast-check"
import { EnvPair, FileSystem, Ipv4, LogLevel, MicroVmConfig, NetworkScope, PathPair, PortPair, Rlimit, Rootfs } from "../src/index.js"

const seed = process.env["FC_SEED"] === undefined ? Date.now() % 2 ** 31 : Number(process.env["FC_SEED"])
const numRuns = 10_000
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

const check = <Ts extends Array<unknown>>(property: fc.IProperty<Ts>) => fc.assert(property, { numRuns, seed })

/** Succeeds with a value, or fails with exactly one error whose tag is allowed; nothing else. */
const outcome = <A, E extends { readonly _tag: string }>(
  effect: () => Effect.Effect<A, E>,
  allowed: ReadonlyArray<string>
): "ok" | "typed-error" => {
  const exit = Effect.runSyncExit(Effect.suspend(effect))
  if (Exit.isSuccess(exit)) return "ok"
  const failures = exit.cause.reasons.filter(Cause.isFailReason)
  if (failures.length !== 1 || exit.cause.reasons.length !== 1) {
    throw new Error(`not a single typed failure: ${Cause.pretty(exit.cause)}`)
  }
  const error = failures[0]!.error
  if (!allowed.includes(error._tag)) throw new Error(`unexpected error ${error._tag}`)
  if (typeof (error as unknown as Error).message !== "string") throw new Error("error without message")
  return "typed-error"
}

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

// Any string, biased towards the characters the grammars care about.
const grammarChar = fc.constantFrom(
  ":", "=", "/", ".", "0", "1", "7", "9", "a", "Z", "_", "-", " ", "\"", "\n", "\0", "é", "🌎", "RLIMIT_", "nofile",
  "unlimited", "65535", "65536", "255", "256", "18446744073709551615", "18446744073709551616", "none", "ANY", "info"
)
const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: grammarChar, maxLength: 12 }).map((s) => s)
)

describe("parsers never throw, and fail only with their own typed error", () => {
  const parsers: ReadonlyArray<readonly [string, (s: string) => Effect.Effect<unknown, { readonly _tag: string }>, ReadonlyArray<string>]> = [
    ["PathPair.parse", PathPair.parse, ["InvalidPathPair", "InvalidMountMode"]],
    ["PortPair.parse", PortPair.parse, ["InvalidPortPair"]],
    ["EnvPair.parse", EnvPair.parse, ["InvalidEnvPair"]],
    ["Rlimit.parse", Rlimit.parse, ["InvalidRlimitFormat", "InvalidRlimitResource", "InvalidRlimitValue"]],
    ["Rlimit.parseResource", Rlimit.parseResource, ["InvalidRlimitResource"]],
    ["Rlimit.parseValue", (s) => Rlimit.parseValue(s), ["InvalidRlimitValue"]],
    ["NetworkScope.parse", NetworkScope.parse, ["InvalidNetworkScope"]],
    ["LogLevel.parse", LogLevel.parse, ["InvalidLogLevel"]],
    ["Ipv4.parse", Ipv4.parse, ["InvalidIpv4"]],
    ["Ipv4.parseCidr", Ipv4.parseCidr, ["InvalidCidr"]],
    ["Rootfs.parseImage", Rootfs.parseImage, ["InvalidImageReference"]],
    ["MicroVmConfig.validateCommandLine", (s) => MicroVmConfig.validateCommandLine(s), ["InvalidCommandLineString"]]
  ]

  it.each(parsers.map(([name, parse, allowed]) => ({ name, parse, allowed })))("$name", ({ allowed, parse }) => {
    check(fc.property(anyString, (input) => {
      outcome(() => parse(input), allowed)
    }))
  })

  it("LogLevel.fromNumber and NetworkScope.fromNumber on any number", () => {
    check(fc.property(fc.oneof(fc.double(), fc.integer()), (n) => {
      outcome(() => LogLevel.fromNumber(n), ["InvalidLogLevel"])
      outcome(() => NetworkScope.fromNumber(n), ["InvalidNetworkScope"])
    }))
  })
})

describe("parse ∘ format is the identity", () => {
  const path = fc.string({ minLength: 1, maxLength: 30 })
  const hostPath = path.filter((s) => !s.includes(":"))

  it("PathPair", () => {
    check(fc.property(hostPath, path, fc.boolean(), (host, guest, readOnly) => {
      const pair = PathPair.make(host, guest, readOnly)
      assert.deepStrictEqual(run(PathPair.parse(PathPair.format(pair))), pair)
    }))
  })

  it("PortPair", () => {
    const port = fc.integer({ min: 0, max: 65535 })
    check(fc.property(port, port, (host, guest) => {
      const pair = PortPair.make(host, guest)
      assert.deepStrictEqual(run(PortPair.parse(PortPair.format(pair))), pair)
    }))
  })

  it("EnvPair", () => {
    const key = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("="))
    check(fc.property(key, fc.string({ unit: "binary", maxLength: 40 }), (k, v) => {
      const pair = EnvPair.make(k, v)
      assert.deepStrictEqual(run(EnvPair.parse(EnvPair.format(pair))), pair)
    }))
  })

  it("Rlimit, in both its human and its libkrun form", () => {
    const value = fc.oneof(fc.bigInt({ min: 0n, max: Rlimit.RLIM_INFINITY }), fc.constant(Rlimit.RLIM_INFINITY))
    check(fc.property(fc.integer({ min: 0, max: 15 }), value, value, (resource, soft, hard) => {
      const rlimit = run(Rlimit.make(resource, soft, hard))
      assert.deepStrictEqual(run(Rlimit.parse(Rlimit.format(rlimit))), rlimit)
      assert.deepStrictEqual(run(Rlimit.parse(Rlimit.toLibkrun(rlimit))), rlimit)
    }))
  })

  it("NetworkScope and LogLevel", () => {
    check(fc.property(fc.constantFrom(...NetworkScope.scopes), fc.constantFrom(0, 1, 2, 3, 4, 5), (scope, level) => {
      assert.strictEqual(run(NetworkScope.parse(NetworkScope.format(scope))), scope)
      const logLevel = run(LogLevel.fromNumber(level))
      assert.strictEqual(run(LogLevel.parse(LogLevel.format(logLevel))), logLevel)
    }))
  })

  it("Ipv4 and CIDR", () => {
    const address = fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((o) => o.join("."))
    check(fc.property(address, fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
      assert.strictEqual(run(Ipv4.parse(Ipv4.format(ip))), ip)
      const cidr = { address: ip, prefix }
      assert.deepStrictEqual(run(Ipv4.parseCidr(Ipv4.formatCidr(cidr))), cidr)
      assert.isTrue(Ipv4.contains(cidr, ip))
    }))
  })

  it("whatever a parser accepts, it formats to a string it parses back to the same value", () => {
    check(fc.property(anyString, (input) => {
      const reparse = <A>(parse: (s: string) => Effect.Effect<A, unknown>, format: (a: A) => string) => {
        const exit = Effect.runSyncExit(parse(input))
        if (Exit.isSuccess(exit)) assert.deepStrictEqual(run(parse(format(exit.value)) as Effect.Effect<A>), exit.value)
      }
      reparse(PathPair.parse, PathPair.format)
      reparse(PortPair.parse, PortPair.format)
      reparse(EnvPair.parse, EnvPair.format)
      reparse(Rlimit.parse, Rlimit.format)
      reparse(Ipv4.parseCidr, Ipv4.formatCidr)
    }))
  })

  it("MicroVmConfig.toJson / fromJson, through JSON text", () => {
    const rlimit = fc.record({
      resource: fc.integer({ min: 0, max: 15 }),
      soft: fc.bigInt({ min: 0n, max: Rlimit.RLIM_INFINITY }),
      hard: fc.bigInt({ min: 0n, max: Rlimit.RLIM_INFINITY })
    }).map(({ hard, resource, soft }) => run(Rlimit.make(resource, soft, hard)))
    const optionalString = fc.option(fc.string({ maxLength: 10 }), { nil: undefined })
    const input = fc.record({
      rootfs: fc.oneof(
        fc.string().map((p) => ({ _tag: "Native" as const, path: p })),
        fc.array(fc.string()).map((paths) => ({ _tag: "Overlayfs" as const, paths }))
      ),
      execPath: fc.string(),
      logLevel: fc.constantFrom(0, 1, 2, 3, 4, 5) as fc.Arbitrary<LogLevel.LogLevel>,
      numVcpus: fc.integer({ min: 0, max: 300 }),
      memoryMib: fc.integer({ min: 0, max: 2 ** 32 }),
      mappedDirs: fc.array(fc.record({ host: fc.string(), guest: fc.string() }), { maxLength: 3 }),
      portMap: fc.array(fc.record({ host: fc.integer(), guest: fc.integer() }), { maxLength: 3 }),
      scope: fc.constantFrom(...NetworkScope.scopes),
      ip: optionalString,
      subnet: optionalString,
      rlimits: fc.array(rlimit, { maxLength: 3 }),
      workdirPath: optionalString,
      args: fc.array(fc.string({ unit: "binary" }), { maxLength: 4 }),
      env: fc.array(fc.record({ key: fc.string(), value: fc.string() }), { maxLength: 4 }),
      consoleOutput: optionalString
    })
    check(fc.property(input, (fields) => {
      const config = MicroVmConfig.make(fields)
      const text = JSON.stringify(MicroVmConfig.toJson(config))
      assert.deepStrictEqual(run(MicroVmConfig.fromJson(JSON.parse(text))), config)
    }))
  })
})

// 10,000 runs take ~30 s on an idle 2-core machine and over 70 s under a shared machine's load
describe("validate never throws", { timeout: 300_000 }, () => {
  const layer = FileSystem.layerTest({ "/rootfs": "directory", "/srv": "directory", "/file": "file" })
  const validateOutcome = (config: unknown): "valid" | "invalid" => {
    const exit = Effect.runSyncExit(
      MicroVmConfig.validate(config as MicroVmConfig.MicroVmConfig).pipe(Effect.provide(layer))
    )
    if (Exit.isSuccess(exit)) return "valid"
    const reasons = exit.cause.reasons
    const failure = reasons[0]
    if (reasons.length !== 1 || failure === undefined || !Cause.isFailReason(failure)) {
      throw new Error(`validate did not fail cleanly: ${Cause.pretty(exit.cause)}`)
    }
    const error = failure.error
    assert.strictEqual(error._tag, "InvalidMicroVmConfig")
    assert.isAbove(error.problems.length, 0)
    for (const problem of error.problems) assert.isString(problem.message)
    return "invalid"
  }

  it("on any value at all", () => {
    check(fc.property(fc.anything({ withBigInt: true, withNullPrototype: true }), (value) => {
      validateOutcome(value)
    }))
  })

  it("on configurations made of arbitrary strings and numbers", () => {
    const text = fc.string({ unit: grammarChar, maxLength: 8 })
    const input = fc.record({
      rootfs: fc.oneof(
        fc.constantFrom("/rootfs", "/file", "/nope", "").map((p) => ({ _tag: "Native" as const, path: p })),
        fc.array(fc.constantFrom("/rootfs", "/srv", "/x"), { maxLength: 3 }).map((paths) => ({
          _tag: "Overlayfs" as const,
          paths
        }))
      ),
      execPath: text,
      numVcpus: fc.oneof(fc.integer({ min: -2, max: 300 }), fc.double()),
      memoryMib: fc.oneof(fc.integer(), fc.double()),
      mappedDirs: fc.array(fc.record({ host: fc.constantFrom("/srv", "/file", "/x", ""), guest: text }), {
        maxLength: 8
      }),
      portMap: fc.array(fc.record({ host: fc.integer({ min: -1, max: 70000 }), guest: fc.integer() }), { maxLength: 4 }),
      scope: fc.constantFrom(...NetworkScope.scopes),
      ip: fc.option(text, { nil: undefined }),
      subnet: fc.option(text, { nil: undefined }),
      rlimits: fc.array(
        fc.record({
          resource: fc.integer({ min: -1, max: 17 }),
          name: fc.constantFrom(...Rlimit.resourceNames, "X"),
          soft: fc.bigInt(),
          hard: fc.bigInt()
        }),
        { maxLength: 3 }
      ),
      workdirPath: fc.option(text, { nil: undefined }),
      args: fc.array(fc.string({ unit: "binary", maxLength: 80 }), { maxLength: 40 }),
      env: fc.array(fc.record({ key: text, value: fc.string({ unit: "binary" }) }), { maxLength: 40 }),
      consoleOutput: fc.option(text, { nil: undefined })
    })
    check(fc.property(input, (fields) => {
      validateOutcome(MicroVmConfig.make(fields))
    }))
  })
})
