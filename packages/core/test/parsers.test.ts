/**
 * The original's parser tests (microsandbox 0.2.4 `config/path_pair.rs`,
 * `config/port_pair.rs`, `config/env_pair.rs`, `vm/rlimit.rs`, `LogLevel`'s
 * `TryFrom<u8>`, `NetworkScope`'s `TryFrom<&str>`), plus krunbox's additions.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EnvPair, Ipv4, LogLevel, MicroVmConfig, NetworkScope, PathPair, PortPair, Rlimit } from "../src/index.js"

describe("PathPair", () => {
  it.effect("parses a single path as the same path on both sides (test_path_pair_from_str)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* PathPair.parse("/data"), PathPair.same("/data"))
      assert.deepStrictEqual(yield* PathPair.parse("/data:/data"), PathPair.same("/data"))
      assert.deepStrictEqual(
        yield* PathPair.parse("/host/data:/container/data"),
        { host: "/host/data", guest: "/container/data" }
      )
    }))

  it.effect.each(["", ":", ":/data", "/data:"])("rejects %j (test_path_pair_from_str)", (input) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PathPair.parse(input))
      assert.strictEqual(error._tag, "InvalidPathPair")
      assert.strictEqual(error.input, input)
    }))

  it.effect("formats as host:guest, also for the same path (test_path_pair_display)", () =>
    Effect.sync(() => {
      assert.strictEqual(PathPair.format(PathPair.same("/data")), "/data:/data")
      assert.strictEqual(PathPair.format(PathPair.make("/host/data", "/container/data")), "/host/data:/container/data")
    }))

  it.effect("exposes host and guest (test_path_pair_getters, test_path_pair_constructors)", () =>
    Effect.sync(() => {
      const same = PathPair.same("/data")
      assert.strictEqual(same.host, "/data")
      assert.strictEqual(same.guest, "/data")
      const distinct = PathPair.make("/host/data", "/container/data")
      assert.strictEqual(distinct.host, "/host/data")
      assert.strictEqual(distinct.guest, "/container/data")
    }))

  it.effect("reads :ro and :rw after the guest path (the mode), and path:ro as the same path", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* PathPair.parse("/srv/data:/data:ro"), { host: "/srv/data", guest: "/data", readOnly: true })
      assert.deepStrictEqual(yield* PathPair.parse("/srv/data:/data:rw"), { host: "/srv/data", guest: "/data" })
      assert.deepStrictEqual(yield* PathPair.parse("/srv/data:ro"), { host: "/srv/data", guest: "/srv/data", readOnly: true })
      assert.strictEqual(PathPair.format(PathPair.make("/a", "/b", true)), "/a:/b:ro")
    }))

  it.effect.each([["/a:/b:c", "c"], ["/srv/data:/data:RO", "RO"], ["/a:/b:ro:rw:x", "x"], ["/a:/b:", ""]])(
    "refuses %j: a guest path never silently ends in a mode it does not know (InvalidMountMode %j)",
    ([input, mode]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(PathPair.parse(input!))
        assert.strictEqual(error._tag, "InvalidMountMode")
        assert.deepStrictEqual({ input: error.input, mode: (error as { mode: string }).mode }, { input, mode })
      })
  )
})

describe("PortPair", () => {
  it.effect("parses same and distinct ports (test_port_pair_from_str)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* PortPair.parse("8080"), PortPair.same(8080))
      assert.deepStrictEqual(yield* PortPair.parse("8080:8080"), PortPair.same(8080))
      assert.deepStrictEqual(yield* PortPair.parse("8080:80"), { host: 8080, guest: 80 })
    }))

  it.effect.each(["", ":80", "80:", "invalid", "invalid:80", "80:invalid", "65536", "1:2:3", "-1", " 80", "8e1"])(
    "rejects %j (test_port_pair_from_str, plus out-of-range and non-decimal forms)",
    (input) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(PortPair.parse(input))
        assert.strictEqual(error._tag, "InvalidPortPair")
        assert.strictEqual(error.input, input)
      })
  )

  it.effect("formats as host:guest (test_port_pair_display)", () =>
    Effect.sync(() => {
      assert.strictEqual(PortPair.format(PortPair.same(8080)), "8080:8080")
      assert.strictEqual(PortPair.format(PortPair.make(8080, 80)), "8080:80")
    }))

  it.effect("exposes host and guest (test_port_pair_getters, test_port_pair_constructors)", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(PortPair.same(8080), { host: 8080, guest: 8080 })
      assert.deepStrictEqual(PortPair.make(8080, 80), { host: 8080, guest: 80 })
    }))
})

describe("EnvPair", () => {
  it.effect("makes a pair (test_env_pair_new)", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(EnvPair.make("VAR", "VALUE"), { key: "VAR", value: "VALUE" })
    }))

  it.effect("parses KEY=VALUE and KEY= (test_env_pair_from_str)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* EnvPair.parse("VAR=VALUE"), { key: "VAR", value: "VALUE" })
      assert.deepStrictEqual(yield* EnvPair.parse("VAR="), { key: "VAR", value: "" })
      assert.deepStrictEqual(yield* EnvPair.parse("VAR=a=b"), { key: "VAR", value: "a=b" })
    }))

  it.effect.each(["VAR", "=VALUE", ""])("rejects %j (test_env_pair_from_str)", (input) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(EnvPair.parse(input))
      assert.strictEqual(error._tag, "InvalidEnvPair")
    }))

  it.effect("formats as KEY=VALUE (test_env_pair_display, test_env_pair_serialize_deserialize)", () =>
    Effect.gen(function*() {
      assert.strictEqual(EnvPair.format(EnvPair.make("VAR", "VALUE")), "VAR=VALUE")
      assert.strictEqual(EnvPair.format(EnvPair.make("VAR", "")), "VAR=")
      assert.deepStrictEqual(yield* EnvPair.parse(EnvPair.format(EnvPair.make("VAR", ""))), EnvPair.make("VAR", ""))
    }))

  it.effect("keeps spaces and dots (test_env_pair_with_special_characters)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        yield* EnvPair.parse("VAR_WITH_UNDERSCORE=VALUE WITH SPACES"),
        { key: "VAR_WITH_UNDERSCORE", value: "VALUE WITH SPACES" }
      )
      // Parsing keeps the original's leniency; validation rejects the dotted name (InvalidEnvKey).
      assert.deepStrictEqual(
        yield* EnvPair.parse("VAR.WITH.DOTS=VALUE_WITH_UNDERSCORE"),
        { key: "VAR.WITH.DOTS", value: "VALUE_WITH_UNDERSCORE" }
      )
      assert.isFalse(EnvPair.isValidKey("VAR.WITH.DOTS"))
      assert.isTrue(EnvPair.isValidKey("VAR_WITH_UNDERSCORE"))
    }))
})

describe("Rlimit", () => {
  it.effect("maps numeric ids 0, 7, 15 and rejects 16 (test_linux_rlimit_resource_from_u32)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Rlimit.parseResource(0), 0)
      assert.strictEqual(Rlimit.resourceNames[yield* Rlimit.parseResource(7)], "RLIMIT_NOFILE")
      assert.strictEqual(Rlimit.resourceNames[yield* Rlimit.parseResource(15)], "RLIMIT_RTTIME")
      const error = yield* Effect.flip(Rlimit.parseResource(16))
      assert.strictEqual(error._tag, "InvalidRlimitResource")
    }))

  it.effect("gives the Linux x86-64 ids (test_linux_rlimit_resource_as_int)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Rlimit.parseResource("RLIMIT_CPU"), 0)
      assert.strictEqual(yield* Rlimit.parseResource("RLIMIT_NOFILE"), 7)
      assert.strictEqual(yield* Rlimit.parseResource("RLIMIT_RTTIME"), 15)
      assert.deepStrictEqual(
        Rlimit.resourceNames.map((_, id) => id),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
      )
      assert.deepStrictEqual(Rlimit.resourceNames.slice(0, 8), [
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_STACK",
        "RLIMIT_CORE",
        "RLIMIT_RSS",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE"
      ])
    }))

  it.effect("parses names and rejects RLIMIT_INVALID (test_linux_rlimit_resource_from_str, _display)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Rlimit.parseResource("RLIMIT_CPU"), 0)
      assert.strictEqual(yield* Rlimit.parseResource("nofile"), 7)
      assert.strictEqual(yield* Rlimit.parseResource("NOFILE"), 7)
      const error = yield* Effect.flip(Rlimit.parseResource("RLIMIT_INVALID"))
      assert.strictEqual(error._tag, "InvalidRlimitResource")
      assert.strictEqual(error.resource, "RLIMIT_INVALID")
    }))

  it.effect("makes limits (test_linux_rlimit_new)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Rlimit.make("RLIMIT_CPU", 10, 20), {
        resource: 0,
        name: "RLIMIT_CPU",
        soft: 10n,
        hard: 20n
      })
      assert.deepStrictEqual(yield* Rlimit.make(7, 1000n, 2000n), {
        resource: 7,
        name: "RLIMIT_NOFILE",
        soft: 1000n,
        hard: 2000n
      })
      assert.strictEqual((yield* Rlimit.make(7, 1, "unlimited")).hard, Rlimit.RLIM_INFINITY)
      assert.strictEqual((yield* Effect.flip(Rlimit.make(7, -1, 2)))._tag, "InvalidRlimitValue")
      assert.strictEqual((yield* Effect.flip(Rlimit.make(7, 1.5, 2)))._tag, "InvalidRlimitValue")
    }))

  it.effect("parses NAME=soft:hard (test_linux_rlimit_from_str_with_rlimit_syntax)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Rlimit.parse("RLIMIT_CPU=10:20"), {
        resource: 0,
        name: "RLIMIT_CPU",
        soft: 10n,
        hard: 20n
      })
      assert.deepStrictEqual(yield* Rlimit.parse("RLIMIT_NOFILE=1000:2000"), {
        resource: 7,
        name: "RLIMIT_NOFILE",
        soft: 1000n,
        hard: 2000n
      })
      assert.deepStrictEqual(yield* Rlimit.parse("RLIMIT_AS=1048576:2097152"), {
        resource: 9,
        name: "RLIMIT_AS",
        soft: 1048576n,
        hard: 2097152n
      })
    }))

  it.effect.each([
    ["RLIMIT_INVALID=10:20", "InvalidRlimitResource"],
    ["RLIMIT_CPU=10", "InvalidRlimitFormat"],
    ["RLIMIT_CPU=10:", "InvalidRlimitValue"],
    ["RLIMIT_CPU=:20", "InvalidRlimitValue"],
    ["RLIMIT_CPU", "InvalidRlimitFormat"],
    ["RLIMIT_CPU=1:2=3", "InvalidRlimitFormat"],
    ["RLIMIT_CPU=1:2:3", "InvalidRlimitFormat"],
    ["16=1:2", "InvalidRlimitResource"],
    ["7=18446744073709551616:1", "InvalidRlimitValue"],
    ["7=-1:1", "InvalidRlimitValue"]
  ])("rejects %j with %s (test_linux_rlimit_from_str_with_rlimit_syntax, plus ranges)", ([input, tag]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Rlimit.parse(input!))
      assert.strictEqual(error._tag, tag)
    }))

  it.effect("parses numeric ids too (test_linux_rlimit_from_str_mixed_syntax)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Rlimit.parse("0=10:20"), { resource: 0, name: "RLIMIT_CPU", soft: 10n, hard: 20n })
      assert.deepStrictEqual(yield* Rlimit.parse("RLIMIT_NOFILE=1000:2000"), {
        resource: 7,
        name: "RLIMIT_NOFILE",
        soft: 1000n,
        hard: 2000n
      })
    }))

  it.effect("formats for libkrun as ID=cur:max (test_linux_rlimit_display, test_linux_rlimit_serialize_deserialize)", () =>
    Effect.gen(function*() {
      const cpu = yield* Rlimit.make("RLIMIT_CPU", 10, 20)
      const nofile = yield* Rlimit.make("RLIMIT_NOFILE", 1000, 2000)
      assert.strictEqual(Rlimit.toLibkrun(cpu), "0=10:20")
      assert.strictEqual(Rlimit.toLibkrun(nofile), "7=1000:2000")
      assert.deepStrictEqual(yield* Rlimit.parse(Rlimit.toLibkrun(cpu)), cpu)
      assert.deepStrictEqual(yield* Rlimit.parse(Rlimit.toLibkrun(nofile)), nofile)
    }))

  it.effect("accepts unlimited and infinity as RLIM_INFINITY = 2^64-1", () =>
    Effect.gen(function*() {
      const rlimit = yield* Rlimit.parse("RLIMIT_CORE=unlimited:INFINITY")
      assert.strictEqual(rlimit.soft, 2n ** 64n - 1n)
      assert.strictEqual(rlimit.hard, 2n ** 64n - 1n)
      assert.strictEqual(Rlimit.format(rlimit), "RLIMIT_CORE=unlimited:unlimited")
      assert.strictEqual(Rlimit.toLibkrun(rlimit), "4=18446744073709551615:18446744073709551615")
      assert.strictEqual((yield* Rlimit.parse("4=18446744073709551615:18446744073709551615")).hard, Rlimit.RLIM_INFINITY)
    }))
})

describe("LogLevel", () => {
  it.effect.each([0, 1, 2, 3, 4, 5])("fromNumber accepts %d (TryFrom<u8>)", (n) =>
    Effect.gen(function*() {
      assert.strictEqual(yield* LogLevel.fromNumber(n), n)
    }))

  it.effect.each([6, 255, -1, 1.5, Number.NaN])("fromNumber rejects %d with InvalidLogLevel", (n) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LogLevel.fromNumber(n))
      assert.strictEqual(error._tag, "InvalidLogLevel")
      assert.strictEqual(error.message, `invalid log level: ${n}. Use 0..5 or off, error, warn, info, debug, trace.`)
    }))

  it.effect("parses names and digits and formats names", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* LogLevel.parse("Info"), LogLevel.Info)
      assert.strictEqual(yield* LogLevel.parse("5"), LogLevel.Trace)
      assert.strictEqual(LogLevel.format(LogLevel.Warn), "warn")
      assert.strictEqual((yield* Effect.flip(LogLevel.parse("verbose")))._tag, "InvalidLogLevel")
    }))
})

describe("NetworkScope", () => {
  it.effect("parses the four scopes case-insensitively, like the original", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* NetworkScope.parse("none"), "none")
      assert.strictEqual(yield* NetworkScope.parse("Group"), "group")
      assert.strictEqual(yield* NetworkScope.parse("PUBLIC"), "public")
      assert.strictEqual(yield* NetworkScope.parse("any"), "any")
      const error = yield* Effect.flip(NetworkScope.parse("internet"))
      assert.strictEqual(error.message, "invalid network scope: \"internet\". Use one of none, group, public, any.")
    }))

  it.effect("converts the original's numbers 0..3", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(
        [yield* NetworkScope.fromNumber(0), yield* NetworkScope.fromNumber(2), yield* NetworkScope.fromNumber(3)],
        ["none", "public", "any"]
      )
      assert.strictEqual((yield* Effect.flip(NetworkScope.fromNumber(4)))._tag, "InvalidNetworkScope")
    }))

  it.effect("defaults to none, which every engine can enforce", () =>
    Effect.sync(() => {
      assert.strictEqual(NetworkScope.defaultScope, "none")
      assert.strictEqual(MicroVmConfig.make({ rootfs: { _tag: "Native", path: "/" }, execPath: "/x" }).scope, "none")
    }))
})

describe("Ipv4", () => {
  it.effect("parses dotted quads and rejects other forms", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Ipv4.parse("10.0.0.2"), "10.0.0.2")
      assert.strictEqual(yield* Ipv4.parse("255.255.255.255"), "255.255.255.255")
      for (const bad of ["", "10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "a.b.c.d", " 1.2.3.4", "1..2.3"]) {
        const error = yield* Effect.flip(Ipv4.parse(bad))
        assert.strictEqual(error._tag, "InvalidIpv4")
      }
    }))

  it.effect("parses CIDR subnets; a lone address is /32", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Ipv4.parseCidr("10.0.0.0/24"), { address: "10.0.0.0", prefix: 24 })
      assert.deepStrictEqual(yield* Ipv4.parseCidr("10.0.0.1"), { address: "10.0.0.1", prefix: 32 })
      assert.strictEqual(Ipv4.formatCidr({ address: "10.0.0.0", prefix: 8 }), "10.0.0.0/8")
      for (const bad of ["10.0.0.0/33", "10.0.0.0/", "/24", "10.0.0.0/08", "10.0.0/24", "10.0.0.0/24/1"]) {
        const error = yield* Effect.flip(Ipv4.parseCidr(bad))
        assert.strictEqual(error._tag, "InvalidCidr")
      }
    }))

  it.effect("tells whether an address is inside a subnet", () =>
    Effect.gen(function*() {
      const subnet = yield* Ipv4.parseCidr("192.168.4.0/22")
      assert.isTrue(Ipv4.contains(subnet, "192.168.7.255"))
      assert.isFalse(Ipv4.contains(subnet, "192.168.8.0"))
      assert.isTrue(Ipv4.contains(yield* Ipv4.parseCidr("0.0.0.0/0"), "8.8.8.8"))
      assert.isTrue(Ipv4.contains(yield* Ipv4.parseCidr("10.0.0.5/32"), "10.0.0.5"))
      assert.isFalse(Ipv4.contains(yield* Ipv4.parseCidr("10.0.0.5/32"), "10.0.0.6"))
    }))
})
