/**
 * Every builder method checks its argument at runtime (JavaScript callers get past the types):
 * a wrong type or shape throws InvalidBuilderArgument at once, naming the method and the value,
 * with a correct call as the hint; it never runs something else.
 */
import { describe, expect, it } from "vitest"
import { InvalidBuilderArgument, MicroVm, MicroVmBuilder, Rootfs } from "../src/index.js"

type Method = Exclude<keyof MicroVmBuilder, "build">

/** Calls a builder method the way untyped JavaScript can. */
const call = (method: Method, ...values: ReadonlyArray<unknown>): unknown =>
  (MicroVm.builder() as unknown as Record<Method, (...args: ReadonlyArray<unknown>) => unknown>)[method](...values)

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  return undefined
}

const cases: ReadonlyArray<readonly [Method, ReadonlyArray<ReadonlyArray<unknown>>, ReadonlyArray<ReadonlyArray<unknown>>]> = [
  ["logLevel", [["debug"], [4]], [[true], [null], [{}]]],
  ["rootfs", [["/srv/rootfs"], [Rootfs.native("/srv")], [Rootfs.overlayfs(["/a", "/b"])], [Rootfs.image("alpine")]], [[42], [{ path: "/x" }], [{ _tag: "Overlayfs", paths: "/a" }], [["/srv"]]]],
  ["image", [["alpine:3.20"], ["alpine", { pull: "always" }]], [[["alpine"]], [undefined], ["alpine", "always"], ["alpine", { pull: "sometimes" }]]],
  ["imageOptions", [[{}], [{ insecure: true, platform: "linux/arm64", strategy: "copy", onProgress: () => {} }]], [["always"], [{ insecure: "yes" }], [{ onProgress: "print" }]]],
  ["numVcpus", [[2]], [["2"], [2n], [undefined]]],
  ["ramMib", [[512]], [["512"]]],
  ["memoryMib", [[512]], [["512MiB"], [null]]],
  ["pidsLimit", [[256]], [["256"], [{ max: 256 }]]],
  ["mappedDirs", [[["./a:/a"]], [[{ host: "/a", guest: "/a" }]]], [["./a:/a"], [[42]], [[{ host: "/a" }]]]],
  ["portMap", [[["8080:80", 9000, { host: 1, guest: 2 }]]], [["8080:80"], [[true]], [[{ host: "1", guest: 2 }]]]],
  ["scope", [["any"]], [[1], [["any"]]]],
  ["ip", [["10.0.0.2"]], [[167772162]]],
  ["subnet", [["10.0.0.0/24"]], [[24]]],
  ["rlimits", [[["nofile=1:2"]], [[{ resource: 7, name: "RLIMIT_NOFILE", soft: 1n, hard: 2n }]]], [["nofile=1:2"], [[{ resource: 7, name: "RLIMIT_NOFILE", soft: 1, hard: 2 }]]]],
  ["workdirPath", [["/tmp"]], [[["/tmp"]]]],
  ["execPath", [["/bin/sh"]], [[["/bin/sh"]], [undefined]]],
  ["args", [[["-c", "echo hi"]], [[]]], [["hello"], [[1, 2]], [["a", null]]]],
  ["env", [[["A=1"]], [[{ key: "A", value: "1" }]]], [["A=1"], [[{ A: "1" }]], [[["A", "1"]]]]],
  ["consoleOutput", [["/tmp/console.log"]], [[1], [{ path: "/tmp/x" }]]],
  ["engine", [["auto"], ["libkrun"], ["gvisor"]], [["qemu"], ["GVISOR"], [undefined], [1]]]
]

describe("builder methods check their arguments at runtime", () => {
  it("covers every method of the builder", () => {
    const methods = Object.getOwnPropertyNames(MicroVmBuilder.prototype).filter((name) => name !== "constructor" && name !== "build")
    expect(cases.map(([method]) => method).sort()).toEqual(methods.sort())
  })

  const labelled = (list: ReadonlyArray<ReadonlyArray<unknown>>): Array<{ label: string; values: ReadonlyArray<unknown> }> =>
    list.map((values) => ({ label: String(JSON.stringify(values, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))), values }))

  describe.each(cases)(".%s()", (method, good, bad) => {
    it.each(labelled(good))("accepts $label", ({ values }) => {
      expect(thrown(() => call(method, ...values))).toBeUndefined()
    })

    it.each(labelled(bad))(
      "refuses $label with InvalidBuilderArgument",
      ({ values }) => {
        const error = thrown(() => call(method, ...values))
        expect(InvalidBuilderArgument.isInstance(error)).toBe(true)
        const typed = error as InvalidBuilderArgument
        expect(typed._tag).toBe("InvalidBuilderArgument")
        expect(typed.method).toBe(method)
        expect(typed.message).toContain(`.${method}()`)
        expect(typed.hint).toContain(`.${method}(`)
        expect(JSON.parse(JSON.stringify(typed))).toMatchObject({ _tag: "InvalidBuilderArgument", method })
      }
    )
  })

  it('.args("hello") names the string, instead of running `echo h e l l o`', () => {
    const error = thrown(() => MicroVm.builder().execPath("/bin/echo").args("hello" as unknown as ReadonlyArray<string>))
    expect(error).toMatchObject({ _tag: "InvalidBuilderArgument", method: "args", value: "hello" })
    expect((error as Error).message).toBe('.args() takes an array of strings, got "hello" (a string, not an array)')
    expect((error as InvalidBuilderArgument).hint).toBe('call it like .args(["-c", "echo hi"])')
  })

  it('.engine("qemu") is refused, not run on another engine', () => {
    const error = thrown(() => MicroVm.builder().engine("qemu" as "auto"))
    expect(error).toMatchObject({ _tag: "InvalidBuilderArgument", method: "engine", value: "qemu" })
    expect((error as Error).message).toContain('"auto", "libkrun" or "gvisor"')
  })
})
