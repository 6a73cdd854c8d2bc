/**
 * Rootfs: the directory forms and the image form with its reference syntax check.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ConfigError, Rootfs } from "../src/index.js"

describe("Rootfs.image", () => {
  it("keeps the reference as written and checks nothing", () => {
    assert.deepStrictEqual(Rootfs.image("alpine:3.20"), { _tag: "Image", reference: "alpine:3.20" })
    assert.deepStrictEqual(Rootfs.image(""), { _tag: "Image", reference: "" })
  })

  it("is told apart from the directory forms", () => {
    assert.isTrue(Rootfs.isImage(Rootfs.image("alpine")))
    assert.isFalse(Rootfs.isImage(Rootfs.native("/srv/rootfs")))
    assert.isFalse(Rootfs.isImage(Rootfs.overlayfs(["/a", "/b"])))
  })
})

describe("Rootfs.parseImage", () => {
  it.effect.each([
    "alpine",
    "alpine:3.20",
    "library/alpine:latest",
    "docker.io/library/alpine",
    "python:3.12-slim",
    "ghcr.io/owner/repo/sub:v1.2.3",
    "localhost/busybox",
    "localhost:5000/busybox:latest",
    "127.0.0.1:5000/busybox:latest",
    "[::1]:5000/busybox",
    "Registry.Example.COM/team/app",
    "my-registry:5000/a__b/c.d-e",
    `alpine@sha256:${"a".repeat(64)}`,
    `alpine:3.20@sha256:${"0".repeat(64)}`,
    `a:${"t".repeat(128)}`
  ])("accepts %s", (reference) =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Rootfs.parseImage(reference), Rootfs.image(reference))
    }))

  it.effect.each<readonly [string, string]>([
    ["", "it is empty"],
    [" alpine", "it contains white space"],
    ["alpine 3.20", "it contains white space"],
    ["alpine\n", "it contains white space"],
    ["Alpine", "repository names must be lowercase (\"Alpine\")"],
    ["docker.io/Library/alpine", "repository names must be lowercase (\"Library\")"],
    ["alpine:", "the tag \"\" must match"],
    ["alpine:-x", "the tag \"-x\" must match"],
    [`alpine:${"t".repeat(129)}`, "must match"],
    ["alpine@sha512:abc", "only sha256 digests are supported"],
    ["alpine@sha256:ABC", "the digest must be sha256: followed by 64 lowercase hex digits"],
    ["localhost:5000/", "the repository name is empty"],
    [":tag", "the repository name is empty"],
    ["exa_mple.com/app", "the registry \"exa_mple.com\" is not a valid host[:port]"],
    ["localhost:port/app", "the registry \"localhost:port\" is not a valid host[:port]"],
    ["a//b", "\"\" is not a valid repository path component"],
    ["a--", "\"a--\" is not a valid repository path component"],
    ["a...b", "\"a...b\" is not a valid repository path component"],
    [`${"a".repeat(248)}`, "longer than 255 characters"],
    ["x".repeat(4097), "longer than 4096 characters"]
  ])("rejects %j: %s", ([reference, reason]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Rootfs.parseImage(reference))
      assert.strictEqual(error._tag, "InvalidImageReference")
      assert.strictEqual(error.reference, reference)
      assert.include(error.reason, reason)
      assert.include(error.message, "e.g. alpine:3.20")
      assert.isTrue(ConfigError.isConfigError(error))
    }))
})
