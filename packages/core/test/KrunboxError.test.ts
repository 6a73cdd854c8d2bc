/**
 * The one error base: yieldable in Effect code, recognisable across package copies by a global
 * marker and the `_tag`, `cause` kept, and a JSON form that survives bigints, nested errors and
 * cycles. Every configuration error is one, with a hint its message ends with.
 */
import * as fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { ConfigError, KrunboxError, TaggedError } from "../src/index.js"
import { examples } from "./readmeExamples.js"

class Sample extends TaggedError("Sample")<{ readonly size: bigint; readonly nested?: unknown; readonly cause?: unknown }> {
  override get message(): string {
    return `size ${this.size} is too big. ${this.hint}`
  }
  get hint(): string {
    return "Use a smaller size."
  }
}

describe("KrunboxError", () => {
  it.effect("fails an Effect when yielded, and is caught by its _tag", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.gen(function*() {
        return yield* new ConfigError.MemoryIsZero({ memoryMib: 0 })
      }))
      assert.isTrue(Exit.isFailure(exit))
      const caught = yield* new Sample({ size: 1n }).pipe(Effect.catchTag("Sample", (error) => Effect.succeed(error.size)))
      assert.strictEqual(caught, 1n)
    }))

  it("is recognised by the base and its own class only, never by _tag alone", () => {
    const error = new ConfigError.MemoryIsZero({ memoryMib: 0 })
    assert.isTrue(KrunboxError.isInstance(error))
    assert.isTrue(ConfigError.MemoryIsZero.isInstance(error))
    assert.isFalse(ConfigError.NumVCPUsIsZero.isInstance(error))
    assert.isFalse(KrunboxError.isInstance({ _tag: "MemoryIsZero", memoryMib: 0 }))
    assert.isFalse(ConfigError.MemoryIsZero.isInstance({ _tag: "MemoryIsZero", memoryMib: 0 }))
    assert.isFalse(KrunboxError.isInstance(new Error("plain")))
    assert.strictEqual(ConfigError.MemoryIsZero.tag, "MemoryIsZero")
  })

  it("recognises errors of another copy of the package (the built entry point)", async () => {
    const entry = new URL("../dist/KrunboxError.js", import.meta.url)
    assert.isTrue(fs.existsSync(entry), "dist/KrunboxError.js is missing: build @krunbox/core first")
    const other = (await import(/* @vite-ignore */ entry.href)) as typeof import("../src/KrunboxError.js")
    assert.notStrictEqual(other.KrunboxError, KrunboxError)
    class Foreign extends other.TaggedError("MemoryIsZero")<{ readonly memoryMib: 0 }> {
      get hint(): string {
        return "Set memoryMib."
      }
    }
    const foreign = new Foreign({ memoryMib: 0 })
    assert.isFalse(foreign instanceof KrunboxError)
    assert.isTrue(KrunboxError.isInstance(foreign))
    assert.isTrue(ConfigError.MemoryIsZero.isInstance(foreign))
    assert.isTrue(other.KrunboxError.isInstance(new ConfigError.MemoryIsZero({ memoryMib: 0 })))
  })

  it("keeps the cause (not as a field), and names itself by its _tag", () => {
    const cause = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })
    const error = new Sample({ size: 2n, cause })
    assert.strictEqual(error.cause, cause)
    assert.notInclude(Object.keys(error), "cause")
    assert.strictEqual(error.name, "Sample")
    assert.strictEqual(String(error), "Sample: size 2 is too big. Use a smaller size.")
    assert.match(error.stack ?? "", /^Sample: size 2 is too big/)
  })

  it("serialises to JSON: bigints as decimal strings, nested errors and causes as their JSON, cycles cut", () => {
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic["self"] = cyclic
    const inner = new ConfigError.RlimitSoftExceedsHard({ name: "RLIMIT_NOFILE", soft: 4096n, hard: 1024n })
    const cause = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", cause: inner })
    const error = new Sample({ size: 2n ** 64n, nested: { list: [1n, inner], cyclic }, cause })
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>
    assert.deepStrictEqual(json, {
      _tag: "Sample",
      message: "size 18446744073709551616 is too big. Use a smaller size.",
      hint: "Use a smaller size.",
      size: "18446744073709551616",
      nested: { list: ["1", inner.toJSON()], cyclic: { name: "loop", self: "[Circular]" } },
      cause: { name: "Error", message: "ENOENT: no such file", code: "ENOENT", cause: inner.toJSON() }
    })
    assert.deepStrictEqual(inner.toJSON(), {
      _tag: "RlimitSoftExceedsHard",
      message: inner.message,
      hint: "Lower the soft limit or raise the hard one (soft <= hard).",
      name: "RLIMIT_NOFILE",
      soft: "4096",
      hard: "1024"
    })
  })

  it("serialises InvalidMicroVmConfig with every problem as its JSON", () => {
    const problem = new ConfigError.MemoryIsZero({ memoryMib: 0 })
    const error = new ConfigError.InvalidMicroVmConfig({ problems: [problem] })
    assert.deepStrictEqual(error.toJSON(), {
      _tag: "InvalidMicroVmConfig",
      message: error.message,
      hint: problem.hint,
      problems: [problem.toJSON()]
    })
  })

  it.each(examples.map((error) => ({ tag: error._tag, error })))(
    "$tag is a krunbox error whose message ends with its hint",
    ({ error }) => {
      assert.isTrue(KrunboxError.isInstance(error))
      assert.isAbove(error.hint.length, 0)
      if (error._tag !== "InvalidMicroVmConfig") assert.isTrue(error.message.endsWith(error.hint), error.message)
    }
  )
})
