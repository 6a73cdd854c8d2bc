import koffi from "koffi"
import { describe, expect, it } from "vitest"
import {
  KRUN_COMPAT_NET_FEATURES,
  KrunFeature,
  KrunFeatureCargoName,
  KrunNetFeature,
  LIBKRUN_FUNCTIONS,
  LIBKRUN_FUNCTION_NAMES,
  LibkrunLibrary,
  type LibkrunFunctionName
} from "../src/index.js"
import { koffiPrototype } from "../src/internal/prototypes.js"

const camelCase = (name: string): string =>
  name.replace(/^krun_/, "").replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())

// C parameters the bindings derive instead of taking: buffer sizes and out-parameters.
const derivedParameters: Partial<Record<LibkrunFunctionName, number>> = {
  krun_display_set_edid: 1,
  krun_set_display_backend: 1,
  krun_add_input_device: 2,
  krun_fs_add_overlay_file: 1,
  krun_get_default_init: 2
}

const parameterCount = (prototype: string): number => {
  const inside = /\((.*)\)/.exec(prototype)?.[1]?.trim() ?? ""
  return inside === "" || inside === "void" ? 0 : inside.split(",").length
}

describe("the declaration table", () => {
  it("declares the 67 functions of libkrun 1.19.0's libkrun.h", () => {
    expect(LIBKRUN_FUNCTION_NAMES).toHaveLength(67)
    expect(new Set(LIBKRUN_FUNCTION_NAMES).size).toBe(67)
  })

  it("names every method after its C function", () => {
    for (const name of LIBKRUN_FUNCTION_NAMES) {
      expect(LIBKRUN_FUNCTIONS[name].method, name).toBe(camelCase(name))
      expect(LIBKRUN_FUNCTIONS[name].prototype, name).toContain(` ${name}(`)
    }
  })

  it("binds every function with a method taking the C parameters in order", () => {
    for (const name of LIBKRUN_FUNCTION_NAMES) {
      const method: unknown = Reflect.get(LibkrunLibrary.prototype, LIBKRUN_FUNCTIONS[name].method)
      expect(typeof method, name).toBe("function")
      const expected =
        parameterCount(LIBKRUN_FUNCTIONS[name].prototype) -
        (derivedParameters[name] ?? 0) +
        (name === "krun_start_enter" ? 1 : 0)
      expect((method as (...args: ReadonlyArray<unknown>) => unknown).length, name).toBe(expected)
    }
  })

  it.each(LIBKRUN_FUNCTION_NAMES)("gives koffi a prototype it parses for %s", (name) => {
    const prototype = koffiPrototype(name)
    expect(prototype).not.toMatch(/\[\]|\buid_t\b|\bgid_t\b/)
    const type = koffi.proto(prototype)
    expect(type.proto?.name).toBe(name)
    expect(type.proto?.arguments).toHaveLength(parameterCount(LIBKRUN_FUNCTIONS[name].prototype))
    expect(type.proto?.result.name).toMatch(/^int(32_t)?$/)
  })

  it("gives each feature-gated function a feature krun_has_feature knows", () => {
    for (const name of LIBKRUN_FUNCTION_NAMES) {
      const requires = LIBKRUN_FUNCTIONS[name].requires ?? {}
      for (const feature of [...(requires.features ?? []), ...(requires.absentFeatures ?? [])]) {
        expect(Object.keys(KrunFeature), name).toContain(feature)
        expect(Object.keys(KrunFeatureCargoName), name).toContain(feature)
      }
    }
  })
})

describe("the header constants", () => {
  it("defines COMPAT_NET_FEATURES as the header's union of six features", () => {
    expect(KRUN_COMPAT_NET_FEATURES).toBe(
      KrunNetFeature.Csum |
        KrunNetFeature.GuestCsum |
        KrunNetFeature.GuestTso4 |
        KrunNetFeature.GuestUfo |
        KrunNetFeature.HostTso4 |
        KrunNetFeature.HostUfo
    )
    expect(KRUN_COMPAT_NET_FEATURES).toBe(0x4c83)
  })

  it("numbers KRUN_FEATURE_* from 0 to 11 without gaps", () => {
    expect(Object.values(KrunFeature).sort((a, b) => a - b)).toEqual([...Array(12).keys()])
  })
})
