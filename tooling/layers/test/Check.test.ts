import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { checkWorkspace, specifiersOf } from "../src/Check.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const checkout = path.resolve(here, "..", "..", "..")
const main = path.resolve(here, "..", "dist", "main.js")

const roots: Array<string> = []
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true })
})

interface FixturePackage {
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly files?: Record<string, string>
}

/** A workspace in a temp dir: packages/<short name> for each entry, files relative to it. */
const workspace = (packages: Record<string, FixturePackage>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-layers-"))
  roots.push(root)
  fs.writeFileSync(path.join(root, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n  - apps/*\n\ncatalog:\n  effect: 1.0.0\n")
  for (const [name, spec] of Object.entries(packages)) {
    const dir = path.join(root, name.endsWith("cli") ? "apps" : "packages", name.split("/")[1]!)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, dependencies: spec.dependencies, devDependencies: spec.devDependencies }))
    for (const [file, text] of Object.entries(spec.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      fs.writeFileSync(path.join(dir, file), text)
    }
  }
  return root
}

const ws = "workspace:*"

describe("specifiersOf", () => {
  it("finds static, side-effect, dynamic and require imports with their lines", () => {
    const text = [
      'import { a } from "@krunbox/core"',
      'export * as B from "./b.js"',
      'import "@krunbox/ffi/register"',
      'const c = await import("@krunbox/sdk")',
      'const d = require("node:fs")'
    ].join("\n")
    expect(specifiersOf(text)).toEqual([
      { specifier: "@krunbox/core", line: 1 },
      { specifier: "./b.js", line: 2 },
      { specifier: "@krunbox/ffi/register", line: 3 },
      { specifier: "@krunbox/sdk", line: 4 },
      { specifier: "node:fs", line: 5 }
    ])
  })

  it("ignores strings and comments that only look like imports", () => {
    expect(specifiersOf('const a = \'import { b } from "@krunbox/sdk"\'\n// import("@krunbox/sdk")\n')).toEqual([])
  })
})

describe("checkWorkspace", () => {
  it("accepts a workspace whose dependencies all point down", () => {
    const root = workspace({
      "@krunbox/core": { files: { "src/index.ts": 'import { Effect } from "effect"\n' } },
      "@krunbox/image": { dependencies: { "@krunbox/core": ws }, files: { "src/index.ts": 'import { KrunboxError } from "@krunbox/core"\nimport { x } from "./x.js"\n' } },
      "@krunbox/sdk": {
        dependencies: { "@krunbox/core": ws, "@krunbox/image": ws },
        devDependencies: { "@krunbox/testing": ws },
        files: { "src/index.ts": 'export * as Image from "@krunbox/image"\n', "test/a.test.ts": 'import { startRegistry } from "@krunbox/testing"\n' }
      },
      "@krunbox/testing": { dependencies: { "@krunbox/core": ws }, files: { "src/index.ts": 'import { defaultCacheDir } from "@krunbox/core/CacheDir"\n' } }
    })
    expect(checkWorkspace(root)).toEqual([])
  })

  it("refuses a lower layer that imports a higher one, in package.json and in code", () => {
    const root = workspace({
      "@krunbox/core": { dependencies: { "@krunbox/sdk": ws }, files: { "src/index.ts": 'import { MicroVm } from "@krunbox/sdk"\n' } },
      "@krunbox/sdk": { dependencies: { "@krunbox/core": ws } }
    })
    const violations = checkWorkspace(root)
    expect(violations.map((v) => [v.from, v.where, v.target])).toEqual([
      ["@krunbox/core", "packages/core/package.json (dependencies)", "@krunbox/sdk"],
      ["@krunbox/core", "packages/core/src/index.ts:1", "@krunbox/sdk"]
    ])
    expect(violations[0]!.reason).toContain("@krunbox/core may use no workspace package")
  })

  it("keeps the image store on core alone (ffi is below it in general, but not for image)", () => {
    const root = workspace({
      "@krunbox/core": {},
      "@krunbox/ffi": { dependencies: { "@krunbox/core": ws } },
      "@krunbox/image": { dependencies: { "@krunbox/core": ws, "@krunbox/ffi": ws }, files: { "src/a.ts": 'import { defaultCacheDir } from "@krunbox/ffi"\n' } }
    })
    expect(checkWorkspace(root).map((v) => v.where)).toEqual(["packages/image/package.json (dependencies)", "packages/image/src/a.ts:1"])
  })

  it("refuses the runtime reaching back into the SDK with a dynamic import", () => {
    const root = workspace({
      "@krunbox/runtime": { files: { "src/Doctor.ts": 'const probe = async () => (await import("@krunbox/sdk")).probeBoot\n' } },
      "@krunbox/sdk": { dependencies: { "@krunbox/runtime": ws } }
    })
    expect(checkWorkspace(root).map((v) => [v.where, v.target])).toEqual([["packages/runtime/src/Doctor.ts:1", "@krunbox/sdk"]])
  })

  it("refuses relative paths into another package, even downward", () => {
    const root = workspace({
      "@krunbox/core": {},
      "@krunbox/cli": { dependencies: { "@krunbox/core": ws }, files: { "test/helper.ts": 'export * from "../../../packages/core/test/support.js"\n' } }
    })
    const [violation, ...rest] = checkWorkspace(root)
    expect(rest).toEqual([])
    expect(violation).toMatchObject({ from: "@krunbox/cli", where: "apps/cli/test/helper.ts:1" })
    expect(violation!.reason).toContain("into @krunbox/core by a relative path")
  })

  it("keeps test support out of shipped code and dependencies", () => {
    const root = workspace({
      "@krunbox/core": {},
      "@krunbox/testing": { dependencies: { "@krunbox/core": ws } },
      "@krunbox/image": { dependencies: { "@krunbox/core": ws, "@krunbox/testing": ws }, files: { "src/a.ts": 'import { writeTar } from "@krunbox/testing"\n' } }
    })
    expect(checkWorkspace(root).map((v) => v.where)).toEqual(["packages/image/package.json (dependencies)", "packages/image/src/a.ts:1"])
  })

  it("refuses an import of a package that package.json does not declare", () => {
    const root = workspace({
      "@krunbox/core": {},
      "@krunbox/image": { files: { "src/a.ts": 'import { KrunboxError } from "@krunbox/core"\n' } }
    })
    expect(checkWorkspace(root)).toMatchObject([{ where: "packages/image/src/a.ts:1", target: "@krunbox/core" }])
    expect(checkWorkspace(root)[0]!.reason).toContain("without declaring it")
  })

  it("refuses a package that has no layer yet", () => {
    const root = workspace({ "@krunbox/sandbox": {} })
    expect(checkWorkspace(root)).toMatchObject([{ from: "@krunbox/sandbox", reason: expect.stringContaining("has no layer") }])
  })
})

describe("this checkout", () => {
  it("holds to its layers", () => {
    expect(checkWorkspace(checkout)).toEqual([])
  })

  it("the command exits 1 and names the violation on a bad workspace, 0 on a good one", () => {
    expect(fs.existsSync(main), `${main} is missing: build @krunbox/layers first`).toBe(true)
    const bad = workspace({ "@krunbox/core": { files: { "src/index.ts": 'import { MicroVm } from "@krunbox/sdk"\n' } }, "@krunbox/sdk": {} })
    const failed = spawnSync(process.execPath, [main, bad], { encoding: "utf8" })
    expect(failed.status).toBe(1)
    expect(failed.stderr).toContain("packages/core/src/index.ts:1: @krunbox/core → @krunbox/sdk")
    const good = spawnSync(process.execPath, [main, checkout], { encoding: "utf8" })
    expect(good.stderr).toBe("")
    expect(good.status).toBe(0)
  })
})
