import { Rootfs } from "@krunbox/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { ImageConfig, ImageReference, Platform } from "../src/index.js"

const digest = `sha256:${"a".repeat(64)}`

describe("ImageReference.parse", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["alpine", "docker.io/library/alpine:latest"],
    ["alpine:3.20", "docker.io/library/alpine:3.20"],
    ["library/alpine", "docker.io/library/alpine:latest"],
    ["bitnami/redis:7", "docker.io/bitnami/redis:7"],
    ["docker.io/alpine", "docker.io/library/alpine:latest"],
    ["index.docker.io/library/alpine:edge", "docker.io/library/alpine:edge"],
    ["ghcr.io/owner/app:v1.2.3", "ghcr.io/owner/app:v1.2.3"],
    ["localhost/busybox", "localhost/busybox:latest"],
    ["localhost:5000/busybox:latest", "localhost:5000/busybox:latest"],
    ["127.0.0.1:41234/a/b/c:t", "127.0.0.1:41234/a/b/c:t"],
    [`alpine@${digest}`, `docker.io/library/alpine@${digest}`],
    [`alpine:3.20@${digest}`, `docker.io/library/alpine:3.20@${digest}`],
    ["registry.example.com:443/x__y.z-w:TAG_1.0", "registry.example.com:443/x__y.z-w:TAG_1.0"]
  ]
  for (const [input, canonical] of cases) {
    it(`normalises ${input}`, () => {
      expect(ImageReference.format(ImageReference.parse(input))).toBe(canonical)
    })
  }

  it("splits registry, repository, tag and digest", () => {
    expect(ImageReference.parse(`localhost:5000/team/app:v1@${digest}`)).toEqual({
      registry: "localhost:5000",
      repository: "team/app",
      tag: "v1",
      digest
    })
  })

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ["", "empty"],
    ["Alpine", "lowercase"],
    ["alpine:", "tag"],
    ["alpine:-bad", "tag"],
    ["alpine@sha256:abc", "64"],
    ["alpine@md5:abc", "sha256"],
    ["a//b", "path component"],
    ["with space", "white space"],
    ["-leading", "path component"],
    ["localhost:5000/", "empty"]
  ]
  for (const [input, reason] of invalid) {
    it(`rejects ${JSON.stringify(input)} with InvalidReference`, () => {
      let caught: unknown
      try {
        ImageReference.parse(input)
      } catch (error) {
        caught = error
      }
      expect(caught).toMatchObject({ _tag: "InvalidReference", reference: input })
      expect(String((caught as Error).message)).toContain(reason)
      expect(String((caught as { hint: string }).hint)).toContain("e.g. alpine:3.20")
    })
  }

  it("prints the familiar short form for Docker Hub", () => {
    expect(ImageReference.familiar(ImageReference.parse("alpine"))).toBe("alpine:latest")
    expect(ImageReference.familiar(ImageReference.parse("bitnami/redis:7"))).toBe("bitnami/redis:7")
    expect(ImageReference.familiar(ImageReference.parse("localhost:5000/x"))).toBe("localhost:5000/x:latest")
  })

  it("treats localhost, 127.0.0.0/8 and [::1] as loopback (plain HTTP)", () => {
    for (const registry of ["localhost", "localhost:5000", "127.0.0.1:80", "127.1.2.3", "[::1]:5000"]) {
      expect(ImageReference.isLoopbackRegistry(registry)).toBe(true)
    }
    for (const registry of ["docker.io", "localhost.example.com", "10.0.0.1:5000", "128.0.0.1"]) {
      expect(ImageReference.isLoopbackRegistry(registry)).toBe(false)
    }
  })

  it("sends docker.io requests to registry-1.docker.io", () => {
    expect(ImageReference.apiHost("docker.io")).toBe("registry-1.docker.io")
    expect(ImageReference.apiHost("localhost:5000")).toBe("localhost:5000")
  })
})

describe("Platform", () => {
  it("maps this host's architecture to OCI names", () => {
    const expected = { x64: "amd64", arm64: "arm64" }[process.arch as "x64" | "arm64"]
    if (expected !== undefined) expect(Platform.host()).toMatchObject({ os: "linux", architecture: expected })
  })

  it("matches variants the way Docker does", () => {
    expect(Platform.matches({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "arm64", variant: "v8" })).toBe(true)
    expect(Platform.matches({ os: "linux", architecture: "arm", variant: "v7" }, { os: "linux", architecture: "arm", variant: "v6" })).toBe(false)
    expect(Platform.matches({ os: "linux", architecture: "amd64" }, { os: "windows", architecture: "amd64" })).toBe(false)
  })

  it("parses and formats os/arch[/variant]", () => {
    expect(Platform.parse("linux/arm/v7")).toEqual({ os: "linux", architecture: "arm", variant: "v7" })
    expect(Platform.parse("linux")).toBeUndefined()
    expect(Platform.format({ os: "linux", architecture: "amd64" })).toBe("linux/amd64")
  })
})

describe("ImageConfig", () => {
  const config: ImageConfig.ImageRunConfig = {
    env: ["A=1", "B=x=y"],
    workingDir: "/srv",
    entrypoint: ["/entry.sh"],
    cmd: ["serve", "--port", "80"],
    user: undefined
  }

  it("follows Docker's Entrypoint/Cmd rules", () => {
    expect(ImageConfig.command(config)).toEqual(["/entry.sh", "serve", "--port", "80"])
    expect(ImageConfig.command(config, { args: ["shell"] })).toEqual(["/entry.sh", "shell"])
    expect(ImageConfig.command(config, { entrypoint: ["/bin/sh"] })).toEqual(["/bin/sh"])
    expect(ImageConfig.command(config, { entrypoint: ["/bin/sh"], args: ["-c", "id"] })).toEqual(["/bin/sh", "-c", "id"])
  })

  it("splits Env at the first = and adds Docker's default PATH when missing", () => {
    expect(ImageConfig.envPairs(config)).toEqual([
      { key: "PATH", value: ImageConfig.defaultPath },
      { key: "A", value: "1" },
      { key: "B", value: "x=y" }
    ])
  })

  it("reads the runtime fields of an image config blob, tolerating nulls", () => {
    expect(ImageConfig.fromImageConfig({ config: { Env: null, Cmd: ["sh"], WorkingDir: "", User: "1000:1000" } })).toEqual({
      env: [],
      workingDir: undefined,
      entrypoint: [],
      cmd: ["sh"],
      user: "1000:1000"
    })
    expect(ImageConfig.fromImageConfig({})).toEqual({ env: [], workingDir: undefined, entrypoint: [], cmd: [], user: undefined })
  })
})

describe("core's Rootfs.parseImage agrees with ImageReference.parse", () => {
  // every combination of these fragments: what build() accepts must also pull, and vice versa
  const registries = ["", "docker.io/", "index.docker.io/", "localhost/", "localhost:5000/", "127.0.0.1:1/", "Reg.Example.com/", "[::1]:5000/", "bad_host.com/", "host:port/", "UPPER/"]
  const repositories = ["alpine", "library/alpine", "a/b/c", "a__b", "a-b", "a--b", "a.b", "a..b", "_a", "a_", "Alpine", "a/B", "", "a//b", "x".repeat(250), "x/".repeat(127) + "x"]
  const tags = ["", ":latest", ":3.20", ":_x", ":-x", ":", `:${"t".repeat(128)}`, `:${"t".repeat(129)}`, ":a b"]
  const digests = ["", `@sha256:${"a".repeat(64)}`, "@sha256:abc", `@sha512:${"a".repeat(128)}`, "@"]
  const inputs = registries.flatMap((r) => repositories.flatMap((p) => tags.flatMap((t) => digests.map((d) => `${r}${p}${t}${d}`))))

  it(`on ${inputs.length} references built from registry, repository, tag and digest fragments`, () => {
    const disagreements = inputs.filter((input) => {
      const core = Effect.runSync(Effect.result(Rootfs.parseImage(input)))
      let sdk = true
      try {
        ImageReference.parse(input)
      } catch {
        sdk = false
      }
      return Result.isSuccess(core) !== sdk
    })
    expect(disagreements).toEqual([])
    expect(inputs.some((input) => Result.isSuccess(Effect.runSync(Effect.result(Rootfs.parseImage(input)))))).toBe(true)
  })
})
