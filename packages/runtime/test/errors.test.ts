/**
 * The host checks' errors: recognisable across copies of the package (moved from the SDK's
 * errors test along with the classes).
 */
import { KrunboxError } from "@krunbox/core"
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { KvmIsPvm, KvmUnavailable } from "../src/index.js"

const dist = resolve(import.meta.dirname, "..", "dist", "index.js")

describe("KvmIsPvm and KvmUnavailable", () => {
  it("recognises errors thrown by another copy of the package (the built bundle)", async () => {
    expect(existsSync(dist), `${dist} is missing: build @krunbox/runtime first`).toBe(true)
    const other = (await import(dist)) as typeof import("../src/index.js")
    const foreign = new other.KvmIsPvm({ module: "kvm_pvm" })
    // a different class object: instanceof cannot work across copies, isInstance does
    expect(foreign instanceof KvmIsPvm).toBe(false)
    expect(KrunboxError.isInstance(foreign)).toBe(true)
    expect(KvmIsPvm.isInstance(foreign)).toBe(true)
    expect(KvmUnavailable.isInstance(foreign)).toBe(false)
    expect(other.KvmIsPvm.isInstance(new KvmIsPvm({ module: "kvm_pvm" }))).toBe(true)
  })
})
