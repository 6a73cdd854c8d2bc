/**
 * `krunbox pull`, `images`, `rmi` and `run IMAGE` end to end, through the built CLI, against a
 * real registry on loopback (Debian's docker-registry, images pushed with skopeo). The images
 * land in the default krunbox cache (where `krunbox setup` put the runtime) under
 * 127.0.0.1:<random port> names, and are removed with `krunbox rmi` at the end.
 */
import * as Image from "@krunbox/image"
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pullProgressPrinter } from "../src/commands/pull.js"
import {
  buildLayout,
  busyboxAmd64,
  fakeArm64,
  type ImageSpec,
  makeTempDir,
  opaqueSwapImage,
  pushLayout,
  registrySkipReason,
  removeDir,
  runnableBusybox,
  type RunningRegistry,
  startRegistry
} from "@krunbox/testing"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

// a private image store: this file's pulls, runs and removals neither see nor leave anything in
// the user's (the runtime cache itself is shared: setting it up is what takes minutes)
const store = mkdtempSync(join(tmpdir(), "krunbox-cli-images-"))
const env = { ...process.env, KRUNBOX_IMAGE_STORE: store }

const krunbox = (args: ReadonlyArray<string>, timeout = 120_000) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", input: "", timeout, env })

const runsc = spawnSync("runsc", ["--version"], { stdio: "ignore" }).status === 0
const skipReason = registrySkipReason() ?? (runsc ? undefined : "runsc (Debian package runsc) is not installed")
const suite = skipReason === undefined ? describe : describe.skip

suite(`krunbox pull, images, rmi and run IMAGE${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let work = ""
  let registry: RunningRegistry | undefined
  const ref = (name: string) => `${registry!.host}/${name}`
  const images: Record<string, ReadonlyArray<ImageSpec>> = {
    "busybox:latest": [busyboxAmd64(), fakeArm64()],
    "own:1": [runnableBusybox({ Env: ["PATH=/bin", "WHO=image"], Cmd: ["sh", "-c", "echo $WHO command in $(pwd)"], WorkingDir: "/tmp" })]
  }
  const runsOfThisTest = () => {
    const runs = join(store, "runs")
    return existsSync(runs) ? readdirSync(runs) : []
  }

  beforeAll(async () => {
    // the native runtime (runsc path, default rootfs) is set up once; later runs only verify it
    const setup = krunbox(["setup"], 20 * 60_000)
    if (setup.status !== 0) throw new Error(`krunbox setup failed:\n${setup.stderr}`)
    work = makeTempDir("cli")
    registry = await startRegistry(join(work, "registry"))
    // the hostile image of issue 12 points its symlinks at these host directories
    mkdirSync(join(work, "host-parent", "d"), { recursive: true })
    writeFileSync(join(work, "host-parent", "d", "precious.txt"), "host data\n")
    mkdirSync(join(work, "host-dir"))
    writeFileSync(join(work, "host-dir", "precious.txt"), "host data\n")
    images["opaque-swap:1"] = [opaqueSwapImage(join(work, "host-dir"), join(work, "host-parent"))]
    await Promise.all(Object.entries(images).map(async ([name, specs], index) => {
      const [repository, tag] = name.split(":") as [string, string]
      const layout = buildLayout(join(work, `layout-${index}`), tag, specs)
      await pushLayout(layout.dir, tag, ref(`${repository}:${tag}`))
    }))
  }, 20 * 60_000)

  afterAll(async () => {
    if (registry !== undefined) {
      await registry.stop()
    }
    removeDir(work)
    removeDir(store)
  })

  it("pull downloads every layer with a line per layer, and prints the reference and digest", () => {
    const result = krunbox(["pull", ref("busybox:latest")])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^${ref("busybox:latest")} sha256:[0-9a-f]{64}\n$`))
    expect(result.stderr).toContain(`[pull] resolving ${ref("busybox:latest")}`)
    expect(result.stderr).toMatch(/\[pull\] resolved sha256:[0-9a-f]{12} linux\/amd64: 4 layers, /)
    expect(result.stderr.match(/^\[pull\] layer sha256:[0-9a-f]{12} (done|cached) /gm)).toHaveLength(4)
    expect(result.stderr).toMatch(/\[pull\] unpacked in /)
  })

  it("images lists it, as a table and as JSON", () => {
    const json = krunbox(["images", "--json"])
    expect(json.status).toBe(0)
    const listed = (JSON.parse(json.stdout) as Array<Image.ImageInfo>).find((image) => image.reference === ref("busybox:latest"))
    expect(listed).toMatchObject({ platform: "linux/amd64", registry: registry!.host, repository: "busybox", tag: "latest" })
    expect(listed?.layers).toHaveLength(4)
    const table = krunbox(["images"])
    expect(table.stdout.split("\n")[0]).toMatch(/^REFERENCE\s+DIGEST\s+PLATFORM\s+SIZE\s+PULLED$/)
    const row = table.stdout.split("\n").find((line) => line.startsWith(`${ref("busybox:latest")} `))
    expect(row).toMatch(new RegExp(`sha256:${listed!.manifestDigest.slice(7, 19)}\\s+linux/amd64\\s+[\\d.]+ (KiB|MiB)\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`))
  })

  it("run IMAGE -- /bin/echo hi prints hi and exits 0 (the issue's done criterion)", () => {
    const result = krunbox(["run", ref("busybox:latest"), "--", "/bin/echo", "hi"])
    expect(result.stdout).toBe("hi\n")
    expect(result.status).toBe(0)
    // the fixture image asks for User app: said once, not silently dropped
    expect(result.stderr).toContain("sets User \"app\"")
    expect(runsOfThisTest().filter((dir) => dir.startsWith(`${result.pid}-`))).toEqual([])
  })

  it("run localhost:PORT/busybox:latest -- /bin/echo hi works as written in the issue (plain HTTP for loopback)", () => {
    const localhostRef = `${registry!.host.replace(/^127\.0\.0\.1:/, "localhost:")}/busybox:latest`
    const result = krunbox(["run", localhostRef, "--", "/bin/echo", "hi"])
    expect(result.stdout, result.stderr).toBe("hi\n")
    expect(result.status).toBe(0)
    krunbox(["rmi", localhostRef])
  })

  it("pull and run of the issue's opaque-then-symlink image leave the host directories it points at alone", () => {
    const pulled = krunbox(["pull", ref("opaque-swap:1")])
    expect(pulled.status, pulled.stderr).toBe(0)
    const ran = krunbox(["run", ref("opaque-swap:1"), "--", "/bin/true"])
    expect(ran.status, ran.stderr).toBe(0)
    expect(readdirSync(join(work, "host-dir"))).toEqual(["precious.txt"])
    expect(readdirSync(join(work, "host-parent", "d"))).toEqual(["precious.txt"])
    expect(krunbox(["rmi", ref("opaque-swap:1")]).status).toBe(0)
  })

  it("run IMAGE:TAG alone pulls the image and runs its own command with its Env and WorkingDir", () => {
    const result = krunbox(["run", ref("own:1")])
    expect(result.stderr).toContain(`[pull] resolving ${ref("own:1")}`)
    expect(result.stdout).toBe("image command in /tmp\n")
    expect(result.status).toBe(0)
  })

  it("run IMAGE CMD replaces the image's Cmd; -e and -w win over the image's Env and WorkingDir", () => {
    const result = krunbox(["run", "-e", "WHO=flag", "-w", "/", ref("own:1"), "sh", "-c", "echo $WHO in $(pwd); exit 7"])
    expect(result.stdout).toBe("flag in /\n")
    expect(result.status).toBe(7)
    expect(result.stderr).not.toContain("[pull]")
  })

  it("stops an image workload on SIGINT, exits 130 and removes its private rootfs", async () => {
    const child = spawn(process.execPath, [bin, "run", ref("busybox:latest"), "--", "/bin/sh", "-c", "echo started; exec busybox sleep 300"], {
      stdio: ["ignore", "pipe", "pipe"],
      env
    })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    expect(runsOfThisTest().filter((dir) => dir.startsWith(`${child.pid}-`))).toHaveLength(1)
    child.kill("SIGINT")
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
    expect(code).toBe(130)
    expect(runsOfThisTest().filter((dir) => dir.startsWith(`${child.pid}-`))).toEqual([])
  })

  it.each([
    [["run", "REF:nope", "--", "/bin/true"], /image .*nope:1 not found on 127\.0\.0\.1:\d+.*\[ImageNotFound\]\nkrunbox: hint: check the repository name and tag/],
    [["pull", "REF:nope"], /\[ImageNotFound\]\nkrunbox: hint: /],
    [["run", "Bad/Name:1", "--", "/bin/true"], /invalid image reference "Bad\/Name:1": repository names must be lowercase \("Name"\).*e\.g\. alpine:3\.20.*\[InvalidImageReference\]/],
    [["run", "--pull", "never", "REF:never", "--", "/bin/true"], /is not in the local store \[ImageNotPulled\]\nkrunbox: hint: pull it first with `krunbox pull /],
    [["run", "--rootfs", "/tmp", "REF:busybox", "--", "/bin/true"], /--rootfs and an image cannot be combined/],
    [["pull"], /pull needs one image reference/],
    [["rmi"], /rmi needs at least one image reference/]
  ])("%j exits 125 with a helpful line", (args, message) => {
    const names: Record<string, string> = { "REF:nope": ref("nope:1"), "REF:never": ref("never:1"), "REF:busybox": ref("busybox:latest") }
    const result = krunbox(args.map((arg) => names[arg] ?? arg))
    expect(result.stderr).toMatch(message)
    expect(result.status).toBe(125)
  })

  it("run --json reports a failed pull as one JSON error with its hint", () => {
    const result = krunbox(["run", "--json", ref("nope:1"), "--", "/bin/true"])
    expect(result.status).toBe(125)
    expect(JSON.parse(result.stdout).error).toMatchObject({ _tag: "ImageNotFound", hint: expect.stringContaining("repository name") })
  })

  it("rmi removes an image and its blobs; removing it again says it is not there", () => {
    const removed = krunbox(["rmi", ref("own:1")])
    expect(removed.stdout).toMatch(new RegExp(`^Deleted ${ref("own:1")} \\(\\d+ blobs, [\\d.]+ (KiB|MiB) freed\\)\n$`))
    expect(removed.status).toBe(0)
    const listed = JSON.parse(krunbox(["images", "--json"]).stdout) as Array<Image.ImageInfo>
    expect(listed.map((image) => image.reference)).not.toContain(ref("own:1"))
    const again = krunbox(["rmi", "--json", ref("own:1")])
    expect(again.status).toBe(125)
    expect(JSON.parse(again.stdout)).toEqual([
      { reference: ref("own:1"), error: expect.objectContaining({ _tag: "ImageNotPulled", hint: expect.stringContaining("krunbox pull") }) }
    ])
  })

  it.each(["pull", "images", "rmi"])("%s --help teaches with examples and completion offers it", (command) => {
    const help = krunbox([command, "--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain(`Usage: krunbox ${command}`)
    expect(help.stdout).toContain("Examples:")
    expect(krunbox(["completion", "bash"]).stdout).toContain(command)
  })
})

describe("the pull progress display", () => {
  const layers = [
    { digest: `sha256:${"a".repeat(64)}`, size: 3 * 1024 * 1024, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" },
    { digest: `sha256:${"b".repeat(64)}`, size: 2048, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }
  ]
  const events: ReadonlyArray<Image.PullEvent> = [
    { type: "resolving", reference: "localhost:5000/app:1" },
    { type: "resolved", reference: "localhost:5000/app:1", manifestDigest: `sha256:${"c".repeat(64)}`, platform: "linux/amd64", layers, totalBytes: 3 * 1024 * 1024 + 2048 },
    { type: "layer", digest: layers[0]!.digest, status: "downloading", receivedBytes: 1024 * 1024, totalBytes: layers[0]!.size },
    { type: "layer", digest: layers[1]!.digest, status: "cached", receivedBytes: 2048, totalBytes: 2048 },
    { type: "layer", digest: layers[0]!.digest, status: "done", receivedBytes: layers[0]!.size, totalBytes: layers[0]!.size }
  ]
  const render = (isTTY: boolean) => {
    let out = ""
    const stream = { isTTY, write: (chunk: string) => (out += chunk) } as unknown as NodeJS.WriteStream
    const print = pullProgressPrinter(stream)
    for (const event of events) print(event)
    return out
  }

  it("on a terminal redraws one line per layer with its bytes, in place", () => {
    const out = render(true)
    expect(out).toContain("  sha256:aaaaaaaaaaaa  downloading 1.0 MiB / 3.0 MiB\n")
    expect(out).toContain("\x1b[2A")
    // the last frame: both layers complete
    expect(out.slice(out.lastIndexOf("\x1b[2A"))).toBe(
      "\x1b[2A\r\x1b[2K  sha256:aaaaaaaaaaaa  done        3.0 MiB\n\r\x1b[2K  sha256:bbbbbbbbbbbb  cached      2.0 KiB\n"
    )
  })

  it("elsewhere writes plain lines: the resolved image, then one per finished layer", () => {
    expect(render(false)).toBe([
      "[pull] resolving localhost:5000/app:1",
      "[pull] resolved sha256:cccccccccccc linux/amd64: 2 layers, 3.0 MiB",
      "[pull] layer sha256:bbbbbbbbbbbb cached 2.0 KiB",
      "[pull] layer sha256:aaaaaaaaaaaa done 3.0 MiB",
      ""
    ].join("\n"))
  })
})
