/**
 * SDK errors: recognisable across copies of the package, `cause` kept, JSON-able.
 */
import { resolve } from "node:path"
import { existsSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { prerequisite } from "@krunbox/testing"
import { EngineCrashed, EngineUnavailable, KrunboxError, KvmUnavailable, PreBootFailure, UnsupportedOption } from "../src/index.js"

const dist = resolve(import.meta.dirname, "..", "dist", "index.js")
const built = prerequisite(existsSync(dist) ? "" : "dist/index.js is missing: build @krunbox/sdk first")

describe("KrunboxError", () => {
  it.skipIf(built.skip)(built.title("recognises errors thrown by another copy of the package (the built bundle)"), async () => {
    built.check()
    const other = (await import(dist)) as typeof import("../src/index.js")
    const props = { engine: "gvisor", reason: "runsc missing", fix: "install runsc" } as const
    const foreign = new other.EngineUnavailable(props)
    // a different class object: instanceof cannot work across copies, isInstance does
    expect(foreign instanceof EngineUnavailable).toBe(false)
    expect(KrunboxError.isInstance(foreign)).toBe(true)
    expect(EngineUnavailable.isInstance(foreign)).toBe(true)
    expect(UnsupportedOption.isInstance(foreign)).toBe(false)
    expect(other.KrunboxError.isInstance(new EngineUnavailable(props))).toBe(true)
  })

  it("keeps the cause and a hint, and serialises with its _tag", () => {
    const cause = Object.assign(new Error("EACCES"), { code: "EACCES" })
    const error = new KvmUnavailable({ path: "/dev/kvm", code: "EACCES", cause })
    expect(error.cause).toBe(cause)
    expect(error.name).toBe("KvmUnavailable")
    expect(error.hint).toContain("kvm")
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ _tag: "KvmUnavailable", path: "/dev/kvm", code: "EACCES", hint: error.hint })
  })

  it("names the offending option and value", () => {
    const error = new UnsupportedOption({ engine: "gvisor", option: "scope", value: "public", why: "no filter", fix: "use none" })
    expect(error.message).toBe('engine gvisor cannot honour scope="public": no filter')
    expect(error.hint).toBe("use none")
  })

  it("carries the runner's structured failure as data and as cause", () => {
    const failure = { _tag: "KrunError", function: "krun_set_root", errnoName: "ENOENT", message: "krun_set_root failed", hint: "check the path" }
    const error = new PreBootFailure({ engine: "libkrun", stage: "krun_set_root", failure })
    expect(error.cause).toBe(failure)
    expect(error.hint).toBe("check the path")
    expect(error.message).toContain("krun_set_root failed")
  })

  it("shows the last lines of a crashed engine's stderr", () => {
    const error = new EngineCrashed({ engine: "libkrun", exitCode: 134, signal: null, stderrTail: "a\nb\nc\nthread panicked\n" })
    expect(error.message).toContain("exit code 134")
    expect(error.message).toContain("thread panicked")
  })
})
