import * as fs from "node:fs"
import { assert, describe, it, vi } from "@effect/vitest"
import { ConfigError } from "../src/index.js"
import { examples } from "./readmeExamples.js"

const readme = fs.readFileSync(new URL("../README.md", import.meta.url), "utf8")

describe("README", () => {
  it.each(examples.map((error) => ({ tag: error._tag, message: error.message })))(
    "shows the exact message of $tag",
    ({ message }) => {
      assert.include(readme, message)
    }
  )

  it("documents every error tag", () => {
    for (const tag of ConfigError.configErrorTagList) assert.include(readme, `\`${tag}\``)
    assert.sameMembers([...new Set(examples.map((e) => e._tag))], [...ConfigError.configErrorTagList])
  })
})

describe("README usage snippet", () => {
  it("runs and prints what the README says", async () => {
    const start = readme.indexOf("```ts\n") + "```ts\n".length
    const code = readme.slice(start, readme.indexOf("```", start)).replace("\"@krunbox/core\"", "\"../src/index.js\"")
    const file = new URL("./.readme-snippet.generated.ts", import.meta.url)
    const printed: Array<string> = []
    const log = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
      printed.push(args.map(String).join(" "))
    })
    try {
      fs.writeFileSync(file, code)
      await import(/* @vite-ignore */ file.href)
    } finally {
      log.mockRestore()
      fs.rmSync(file, { force: true })
    }
    assert.strictEqual(printed[0], "7=1024:2048")
    const outputStart = readme.indexOf("```text\n", readme.indexOf("`validate` prints")) + "```text\n".length
    const expected = readme.slice(outputStart, readme.indexOf("\n```", outputStart))
    assert.strictEqual(printed[1], expected)
  })
})
