import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { packageDir, realLibraryTitle, runChild, skipRealLibrary } from "./support/runtime.js"

const readme = readFileSync(join(packageDir, "README.md"), "utf8")
const example = /## Raw API example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? ""

describe.skipIf(skipRealLibrary)(realLibraryTitle("the README's raw API example"), () => {
  it("runs as written against the real library", () => {
    expect(example).toContain('from "@krunbox/ffi"')
    const child = runChild(example)
    expect(child.stderr).toBe("")
    expect(child.status).toBe(0)
    expect(child.stdout).toMatch(/^libkrun \d+\.\d+\.\d+ at \//m)
    expect(child.stdout).toContain("libkrunfw ")
    expect(child.stdout).toMatch(/^net=(true|false) blk=(true|false)$/m)
    expect(child.stdout).toContain("krun_set_vm_config -> EINVAL (Invalid argument)")
  })
})
