/**
 * Authentication against real registries: htpasswd basic auth, and bearer tokens from a
 * token endpoint that the registry verifies (anonymous pull, credentialed push).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ImageStore } from "../src/index.js"
import { buildLayout, errorOf, makeTempDir, prerequisite, pushLayout, registrySkipReason, removeDir, type RunningRegistry, smallImage, startRegistry, startTokenServer, type TokenServer } from "@krunbox/testing"

const skipReason = registrySkipReason()
const needs = prerequisite(skipReason)
const admin = { username: "krunbox", password: "s3cret-Passw0rd" }

const writeDockerConfig = (dir: string, registry: string, auth: { username: string; password: string } | undefined, form: "auth" | "fields" = "auth") => {
  const file = path.join(dir, `config-${Math.random().toString(16).slice(2)}.json`)
  const entry =
    auth === undefined
      ? {}
      : form === "auth"
        ? { auth: Buffer.from(`${auth.username}:${auth.password}`).toString("base64") }
        : { username: auth.username, password: auth.password }
  fs.writeFileSync(file, JSON.stringify({ auths: { "other.example.com": { auth: "eDp5" }, [`http://${registry}`]: entry } }))
  return file
}

describe.skipIf(needs.skip)(needs.title("registry authentication"), () => {
  beforeAll(needs.check)
  let work: string
  beforeAll(() => {
    work = makeTempDir("auth")
  })
  afterAll(() => removeDir(work))

  describe("htpasswd basic auth", () => {
    let registry: RunningRegistry
    beforeAll(async () => {
      registry = await startRegistry(path.join(work, "basic"), { kind: "htpasswd", ...admin })
      try {
        const layout = buildLayout(path.join(work, "layout-basic"), "latest", [smallImage("basic")])
        await pushLayout(layout.dir, "latest", `${registry.host}/private:latest`, admin)
      } catch (error) {
        await registry.stop()
        throw error
      }
    })
    afterAll(async () => {
      await registry?.stop()
    })

    it("pulls with credentials from the Docker config's base64 auth entry", async () => {
      const cacheDir = makeTempDir("cache-basic")
      try {
        const store = ImageStore.open({ cacheDir, dockerConfigPath: writeDockerConfig(work, registry.host, admin) })
        const image = await store.pull(`${registry.host}/private:latest`)
        expect(image.reference).toBe(`${registry.host}/private:latest`)
      } finally {
        removeDir(cacheDir)
      }
    })

    it("also accepts username/password fields", async () => {
      const cacheDir = makeTempDir("cache-basic-fields")
      try {
        const store = ImageStore.open({ cacheDir, dockerConfigPath: writeDockerConfig(work, registry.host, admin, "fields") })
        await expect(store.pull(`${registry.host}/private:latest`)).resolves.toMatchObject({ registry: registry.host })
      } finally {
        removeDir(cacheDir)
      }
    })

    it("fails with AuthFailed naming the config entry when the password is wrong", async () => {
      const cacheDir = makeTempDir("cache-basic-wrong")
      try {
        const configPath = writeDockerConfig(work, registry.host, { username: admin.username, password: "wrong" })
        const store = ImageStore.open({ cacheDir, dockerConfigPath: configPath })
        const error = await errorOf(store.pull(`${registry.host}/private:latest`))
        expect(error).toMatchObject({ _tag: "AuthFailed", registry: registry.host, status: 401 })
        expect(String(error.credentialSource)).toContain(configPath)
        expect(String(error.hint)).toContain("were refused")
        expect(store.list()).toEqual([])
      } finally {
        removeDir(cacheDir)
      }
    })

    it("fails with AuthFailed telling how to log in when there are no credentials", async () => {
      const cacheDir = makeTempDir("cache-basic-none")
      try {
        const store = ImageStore.open({ cacheDir, dockerConfigPath: path.join(work, "missing.json") })
        const error = await errorOf(store.pull(`${registry.host}/private:latest`))
        expect(error).toMatchObject({ _tag: "AuthFailed", credentialSource: undefined })
        expect(String(error.hint)).toContain("~/.docker/config.json")
      } finally {
        removeDir(cacheDir)
      }
    })
  })

  describe("bearer tokens", () => {
    let tokens: TokenServer
    let registry: RunningRegistry
    beforeAll(async () => {
      tokens = await startTokenServer(path.join(work, "token"), admin)
      try {
        registry = await startRegistry(path.join(work, "bearer"), { kind: "token", ...tokens })
        const layout = buildLayout(path.join(work, "layout-bearer"), "latest", [smallImage("bearer")])
        await pushLayout(layout.dir, "latest", `${registry.host}/public:latest`, admin)
      } catch (error) {
        await registry?.stop()
        await tokens.stop()
        throw error
      }
    })
    afterAll(async () => {
      await registry?.stop()
      await tokens?.stop()
    })

    it("pulls anonymously with a token for the repository's pull scope", async () => {
      const cacheDir = makeTempDir("cache-bearer")
      try {
        tokens.requests.length = 0
        const store = ImageStore.open({ cacheDir, dockerConfigPath: path.join(work, "missing.json") })
        const image = await store.pull(`${registry.host}/public:latest`)
        expect(image.layers.length).toBe(1)
        expect(tokens.requests).toEqual([{ scope: "repository:public:pull", authenticated: false }])
      } finally {
        removeDir(cacheDir)
      }
    })

    it("sends Docker config credentials to the token endpoint", async () => {
      const cacheDir = makeTempDir("cache-bearer-creds")
      try {
        tokens.requests.length = 0
        const store = ImageStore.open({ cacheDir, dockerConfigPath: writeDockerConfig(work, registry.host, admin) })
        await store.pull(`${registry.host}/public:latest`)
        expect(tokens.requests).toEqual([{ scope: "repository:public:pull", authenticated: true }])
      } finally {
        removeDir(cacheDir)
      }
    })

    it("fails with AuthFailed when the token endpoint refuses the credentials", async () => {
      const cacheDir = makeTempDir("cache-bearer-wrong")
      try {
        const store = ImageStore.open({ cacheDir, dockerConfigPath: writeDockerConfig(work, registry.host, { username: "x", password: "y" }) })
        const error = await errorOf(store.pull(`${registry.host}/public:latest`))
        expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
        expect(String(error.detail)).toContain("token endpoint")
      } finally {
        removeDir(cacheDir)
      }
    })
  })
})
