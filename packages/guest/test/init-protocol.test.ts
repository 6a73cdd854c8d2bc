/**
 * The pure parts of krunbox-init (native/krunbox-init/protocol.c), linked into a small driver
 * (init-driver.c) compiled with the host's gcc into a temp dir.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { prerequisite } from "@krunbox/testing"
import { InitSources } from "../src/index.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const initSources = InitSources.directory
const hasGcc = spawnSync("gcc", ["--version"]).status === 0

let tmp = ""
let driver = ""

const drive = (...args: Array<string>): string => execFileSync(driver, args, { encoding: "utf8" })
const hex = (bytes: Buffer | string) => Buffer.from(bytes).toString("hex")

const gcc = prerequisite(hasGcc ? "" : "needs gcc on the host (apt-get install gcc)")

describe.skipIf(gcc.skip)(gcc.title("krunbox-init pure functions"), () => {
  beforeAll(gcc.check)
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krunbox-init-driver-"))
    driver = path.join(tmp, "init-driver")
    execFileSync("gcc", [
      "-O1",
      "-Wall",
      "-Wextra",
      "-Werror",
      `-I${initSources}`,
      "-o",
      driver,
      path.join(here, "init-driver.c"),
      path.join(initSources, "protocol.c"),
      path.join(initSources, "ports.c")
    ])
  })
  afterAll(() => {
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true })
  })

  describe("JSON messages", () => {
    it("formats ready with the agent and uptime", () => {
      const line = drive("ready", "1234")
      expect(line.endsWith("\n")).toBe(true)
      expect(JSON.parse(line)).toEqual({ v: 1, type: "ready", agent: "krunbox-init/0.1.0", uptime_ms: 1234 })
    })

    it("formats exit with a null signal when the workload exited", () => {
      expect(JSON.parse(drive("exit", "0", "null"))).toEqual({ v: 1, type: "exit", status: 0, signal: null })
    })

    it("formats exit with the signal number when it was killed", () => {
      expect(JSON.parse(drive("exit", "137", "9"))).toEqual({ v: 1, type: "exit", status: 137, signal: 9 })
    })

    it("formats error with stage, errno and an escaped message", () => {
      const message = 'cannot execute "/x"\\: tab\there\nnewline'
      const line = drive("error", "exec", "13", message)
      expect(line.split("\n")).toHaveLength(2) // exactly one line
      expect(JSON.parse(line)).toEqual({ v: 1, type: "error", stage: "exec", errno: 13, message })
    })
  })

  describe("JSON string escaping", () => {
    const cases: ReadonlyArray<[string, Buffer, string]> = [
      ["quotes and backslashes", Buffer.from('a"b\\c'), 'a\\"b\\\\c'],
      ["named control characters", Buffer.from("\n\r\t\b\f"), "\\n\\r\\t\\b\\f"],
      ["other control characters as \\u00XX", Buffer.from([0x01, 0x1f, 0x7f]), "\\u0001\\u001f\\u007f"],
      ["valid UTF-8 unchanged", Buffer.from("é😀"), "é😀"],
      ["an invalid byte as U+FFFD", Buffer.from([0x61, 0xff, 0x62]), "a\\ufffdb"],
      ["a truncated sequence as U+FFFD", Buffer.from([0xc3]), "\\ufffd"],
      ["an encoded surrogate as U+FFFD per byte", Buffer.from([0xed, 0xa0, 0x80]), "\\ufffd\\ufffd\\ufffd"],
      ["an overlong encoding as U+FFFD", Buffer.from([0xc0, 0xaf]), "\\ufffd\\ufffd"]
    ]
    it.each(cases)("escapes %s", (_name, input, expected) => {
      const [escaped, sizes] = drive("escape", hex(input)).split("\n")
      expect(escaped).toBe(expected)
      const [need, got, truncated] = sizes!.split(" ").map(Number)
      expect(need).toBe(Buffer.byteLength(expected))
      expect(got).toBe(need)
      expect(truncated).toBeLessThanOrEqual(3) // a 4-byte buffer stays NUL-terminated
      expect(JSON.parse(`"${escaped}"`)).toBeTypeOf("string")
    })
  })

  describe("exit status encoding", () => {
    it.each([
      ["exited", 0, "0 -1"],
      ["exited", 7, "7 -1"],
      ["exited", 255, "255 -1"],
      ["signaled", 9, "137 9"],
      ["signaled", 15, "143 15"],
      ["signaled", 2, "130 2"]
    ] as const)("%s %d -> %s", (kind, value, expected) => {
      expect(drive("status", kind, String(value)).trim()).toBe(expected)
    })

    it.each([
      ["ENOENT", "127"],
      ["ENOTDIR", "127"],
      ["EACCES", "126"],
      ["ENOEXEC", "126"],
      ["E2BIG", "126"]
    ])("a failed exec with %s is %s", (errno, status) => {
      expect(drive("exec-errno", errno).trim()).toBe(status)
    })
  })

  describe("KRUN_RLIMITS parsing", () => {
    it("parses several entries, skipping empty items", () => {
      expect(drive("rlimits", "7=1024:2048,,4=0:unlimited,").trim().split("\n")).toEqual([
        "2",
        "7 1024 2048",
        "4 0 18446744073709551615"
      ])
    })

    it("accepts infinity, unlimited and -1 as RLIM_INFINITY", () => {
      expect(drive("rlimits", "1=infinity:-1").trim().split("\n")).toEqual([
        "1",
        "1 18446744073709551615 18446744073709551615"
      ])
    })

    it("parses an empty spec as no limits", () => {
      expect(drive("rlimits", "").trim()).toBe("0")
    })

    it.each([
      ["soft above hard", "7=10:5", "7=10:5"],
      ["an unknown resource id", "6=1:1,16=1:1", "16=1:1"],
      ["a missing colon", "7=10", "7=10"],
      ["a resource name instead of a number", "NOFILE=1:2", "NOFILE=1:2"],
      ["a value that overflows 64 bits", "7=1:18446744073709551616", "7=1:18446744073709551616"],
      ["too many entries for the table", "1=1:1,2=1:1,3=1:1,4=1:1,5=1:1", "5=1:1"]
    ])("rejects %s, pointing at the entry", (_name, spec, at) => {
      expect(drive("rlimits", spec).trim()).toBe(`error at ${at}`)
    })
  })

  describe("the workload's environment", () => {
    it("drops control variables, keeps the user's, adds a default PATH", () => {
      const out = drive(
        "env",
        "HOME=/",
        "TERM=linux",
        "KRUN_INIT=/bin/sh",
        "KRUN_WORKDIR=/w",
        "KRUN_RLIMITS=7=1:2",
        "KRUNBOX_CONTROL_PORT=1100",
        "KRUNBOX_CONTROL_SOCKET=/s",
        "KRUNBOX_MOUNTS=krunbox0:/work",
        "KRUN_BLOCK_ROOT_DEVICE=/dev/vda",
        "HOSTNAME=box",
        "FOO=a b",
        "KRUNISH=kept"
      )
      expect(out.trim().split("\n")).toEqual([
        "6",
        "HOME=/root",
        "TERM=linux",
        "HOSTNAME=box",
        "FOO=a b",
        "KRUNISH=kept",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      ])
    })

    it("keeps a HOME the user set, and adds HOME=/root when there is none", () => {
      expect(drive("env", "HOME=/home/app", "PATH=/bin").trim().split("\n")).toEqual(["2", "HOME=/home/app", "PATH=/bin"])
      expect(drive("env", "PATH=/bin").trim().split("\n")).toEqual(["2", "PATH=/bin", "HOME=/root"])
    })

    it("keeps the user's PATH and lets a later duplicate win", () => {
      expect(drive("env", "PATH=/opt/bin", "A=1", "A=2").trim().split("\n")).toEqual(["3", "PATH=/opt/bin", "A=2", "HOME=/root"])
    })

    it("maps KRUN_HOME and KRUN_TERM onto HOME and TERM", () => {
      expect(drive("env", "HOME=/", "TERM=linux", "KRUN_HOME=/root", "KRUN_TERM=xterm").trim().split("\n")).toEqual([
        "3",
        "HOME=/root",
        "TERM=xterm",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      ])
    })

    it("knows exactly which variables are control variables", () => {
      expect(drive("control-var", "KRUNBOX_MOUNTS=a:/b", "KRUN_INIT=x", "KRUN_INITX=y", "KRUN_INIT", "HOSTNAME=z").trim().split("\n")).toEqual([
        "KRUNBOX_MOUNTS=a:/b 1",
        "KRUN_INIT=x 1",
        "KRUN_INITX=y 0",
        "KRUN_INIT 0",
        "HOSTNAME=z 0"
      ])
    })
  })

  describe("settings from the kernel's environment", () => {
    it("reads every variable libkrun sets", () => {
      const out = drive(
        "config",
        "KRUN_INIT=/bin/echo",
        "KRUN_WORKDIR=/work",
        "KRUN_RLIMITS=7=1:2",
        "HOSTNAME=box",
        "KRUN_BLOCK_ROOT_DEVICE=/dev/vda",
        "KRUN_BLOCK_ROOT_FSTYPE=ext4",
        "KRUN_BLOCK_ROOT_OPTIONS=ro",
        "KRUNBOX_CONTROL_PORT=2000",
        "KRUNBOX_MOUNTS=krunbox0:/work"
      )
      expect(out.trim().split("\n")).toEqual([
        "exec_path=/bin/echo",
        "workdir=/work",
        "rlimits=7=1:2",
        "hostname=box",
        "block_device=/dev/vda",
        "block_fstype=ext4",
        "block_options=ro",
        "control_socket=(null)",
        "mounts=krunbox0:/work",
        "control_port=2000"
      ])
    })

    it("treats empty values as unset and falls back to defaults", () => {
      const out = drive("config", "KRUN_INIT=", "KRUN_WORKDIR=", "HOSTNAME=", "KRUNBOX_CONTROL_PORT=12x")
      expect(out).toContain("exec_path=(null)\n")
      expect(out).toContain("workdir=(null)\n")
      expect(out).toContain("hostname=krunbox\n")
      expect(out).toContain("control_port=1100\n")
    })

    it("lets KRUNBOX_CONTROL_PORT=0 turn the control channel off", () => {
      expect(drive("config", "KRUNBOX_CONTROL_PORT=0")).toContain("control_port=0\n")
    })
  })

  describe("PATH search", () => {
    it("tries each PATH entry in order; an empty entry is the current directory", () => {
      expect(drive("path", "/a::/b", "ls").trim().split("\n")).toEqual(["/a/ls", "ls", "/b/ls"])
    })

    it("uses the default PATH when none is set", () => {
      expect(drive("path", "(unset)", "ls").trim().split("\n")).toEqual([
        "/usr/local/sbin/ls",
        "/usr/local/bin/ls",
        "/usr/sbin/ls",
        "/usr/bin/ls",
        "/sbin/ls",
        "/bin/ls"
      ])
    })

    it("does not search PATH for a name with a slash", () => {
      expect(drive("path", "/a:/b", "./run.sh").trim().split("\n")).toEqual(["./run.sh"])
    })

    it("skips entries too long for the buffer", () => {
      expect(drive("path", `/${"x".repeat(80)}:/ok`, "ls").trim().split("\n")).toEqual(["/ok/ls"])
    })
  })

  describe("KRUNBOX_MOUNTS parsing", () => {
    it("parses tag:/path entries in order", () => {
      expect(drive("mounts", "krunbox0:/work,krunbox1:/data/in put,").trim().split("\n")).toEqual([
        "2",
        "krunbox0 /work",
        "krunbox1 /data/in put"
      ])
    })

    it.each([
      ["a relative guest path", "krunbox0:work", "krunbox0:work"],
      ["a missing tag", ":/work", ":/work"],
      ["a missing colon", "krunbox0", "krunbox0"],
      ["too many entries", "a:/a,b:/b,c:/c", "c:/c"]
    ])("rejects %s", (_name, spec, at) => {
      expect(drive("mounts", spec).trim()).toBe(`error at ${at}`)
    })
  })

  describe("kernel command line tokens (TSI detection)", () => {
    it.each([
      ["reboot=k panic=-1 tsi_hijack init=/init.krun\n", "tsi_hijack", "1"],
      ["tsi_hijack_unix quiet", "tsi_hijack", "0"],
      ["quiet tsi_hijack_unix tsi_hijack", "tsi_hijack", "1"],
      ["KRUN_INIT=/bin/tsi_hijack", "tsi_hijack", "0"],
      ["", "tsi_hijack", "0"]
    ])("%j has %s: %s", (cmdline, token, expected) => {
      expect(drive("cmdline-token", cmdline, token).trim()).toBe(expected)
    })
  })

  describe("block root mount options", () => {
    it("turns known options into flags and passes the rest as data", () => {
      expect(drive("mount-options", "ro,noatime,errors=remount-ro,defaults").trim()).toBe(
        "ro=1 noatime=1 nosuid=0 data=errors=remount-ro"
      )
    })

    it("lets a later rw undo ro", () => {
      expect(drive("mount-options", "ro,rw,nosuid").trim()).toBe("ro=0 noatime=0 nosuid=1 data=")
    })
  })

  describe("libkrun's stdio ports (fake /sys/class/virtio-ports)", () => {
    const sysfs = (ports: Record<string, string | undefined>) => {
      const dir = path.join(tmp, `ports-${Math.random().toString(16).slice(2)}`)
      for (const [port, name] of Object.entries(ports)) {
        fs.mkdirSync(path.join(dir, port), { recursive: true })
        if (name !== undefined) fs.writeFileSync(path.join(dir, port, "name"), name)
      }
      return dir
    }

    it("finds each named port's device", () => {
      const dir = sysfs({ vport0p0: "", vport0p1: "krun-stdin\n", vport0p2: "krun-stdout\n", vport0p3: "krun-stderr\n" })
      expect(drive("port", dir, "krun-stdin").trim()).toBe("/dev/vport0p1")
      expect(drive("port", dir, "krun-stdout").trim()).toBe("/dev/vport0p2")
      expect(drive("port", dir, "krun-stderr").trim()).toBe("/dev/vport0p3")
      expect(drive("ports-pending", dir).trim()).toBe("0")
    })

    it("finds nothing when the host's fd is a terminal (no port) or there is no sysfs dir", () => {
      const dir = sysfs({ vport0p0: "", vport0p1: "krun-stdin\n" })
      expect(drive("port", dir, "krun-stdout").trim()).toBe("none")
      expect(drive("port", path.join(tmp, "absent"), "krun-stdout").trim()).toBe("none")
      expect(drive("ports-pending", path.join(tmp, "absent")).trim()).toBe("0")
    })

    it("counts ports the host has not named yet, but not the console port", () => {
      const dir = sysfs({ vport0p0: "", vport0p1: "", vport0p2: undefined, vport0p3: "krun-stderr\n" })
      expect(drive("ports-pending", dir).trim()).toBe("2")
    })
  })

  describe("/.krun_config.json", () => {
    it("reads the OCI image config shape (Entrypoint + Cmd, Env, WorkingDir), nested under config", () => {
      const json = JSON.stringify({
        architecture: "amd64",
        config: { Entrypoint: ["/e"], Cmd: ["a b", "é😀"], Env: ["A=1"], WorkingDir: "/w", Labels: { x: [1, null, true] } }
      })
      expect(drive("krun-config", json).trim().split("\n")).toEqual(["argv=[</e>,<a b>,<é😀>]", "env=[<A=1>]", "workdir=/w"])
    })

    it("reads the OCI runtime spec shape (process.args, process.env, process.cwd)", () => {
      const json = '{"ociVersion":"1.0.2","process":{"args":["sh","-c","echo hi"],"env":["PATH=/bin"],"cwd":"/"}}'
      expect(drive("krun-config", json).trim().split("\n")).toEqual(["argv=[<sh>,<-c>,<echo hi>]", "env=[<PATH=/bin>]", "workdir=/"])
    })

    it("decodes JSON escapes, including surrogate pairs", () => {
      expect(drive("krun-config", String.raw`{"Cmd":["a\"b","\u00e9\ud83d\ude00","x\/y\t"]}`).trim().split("\n")[0]).toBe(
        'argv=[<a"b>,<é😀>,<x/y\t>]'
      )
    })

    it("leaves fields it does not find unset", () => {
      expect(drive("krun-config", '{"Cmd":null}').trim().split("\n")).toEqual(["argv=(null)", "env=(null)", "workdir=(null)"])
    })

    it.each([
      ["truncated JSON", '{"Cmd":["a"'],
      ["a non-string argument", '{"Cmd":[1]}'],
      ["a bad literal", '{"a":tru}'],
      ["trailing garbage", '{"Cmd":[]} x'],
      ["an escaped NUL", String.raw`{"Cmd":["a\u0000b"]}`],
      ["a lone low surrogate", String.raw`{"Cmd":["\udc00"]}`],
      ["not an object", '["sh"]']
    ])("rejects %s", (_name, json) => {
      expect(drive("krun-config", json).trim()).toBe("invalid")
    })
  })
})
