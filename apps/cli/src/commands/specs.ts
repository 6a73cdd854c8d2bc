import type { CommandSpec } from "../cli/Spec.js"
import { jsonFlag } from "../cli/Spec.js"

export const runSpec: CommandSpec = {
  name: "run",
  summary: "Run a command in a new microVM and exit with its status",
  usage: "krunbox run [FLAGS] [IMAGE --] CMD [ARGS...]\n       krunbox run [FLAGS] IMAGE[:TAG] [CMD [ARGS...]]",
  description: [
    "Boots a VM, runs CMD in it with output streamed live, and exits with CMD's exit status",
    "(125 when krunbox itself fails). Without --rootfs or IMAGE the built-in busybox rootfs is",
    "used. Flags end at the first operand or at '--': 'krunbox run sh -c \"echo hi\"' hands -c",
    "to sh. Ctrl-C or SIGTERM stops the VM and cleans up.",
    "",
    "IMAGE runs in an OCI image, pulled when missing (see 'krunbox pull'), in a private copy",
    "that is removed afterwards. The first operand is an IMAGE when '--' follows it, or when it",
    "has a tag, digest or registry port (a ':'). As with 'docker run', CMD replaces the image's",
    "Cmd after its Entrypoint; without CMD the image's own command runs. The image's Env (-e",
    "wins) and WorkingDir (-w wins) apply; the workload runs as root whatever the image's User."
  ].join("\n"),
  flags: [
    { name: "rootfs", kind: "string", metavar: "DIR", description: "Directory to use as the guest's root filesystem", defaultText: "built-in busybox rootfs" },
    { name: "cpus", kind: "string", metavar: "N", description: "Number of vCPUs", defaultText: "1" },
    { name: "memory", alias: "m", kind: "string", metavar: "MIB", description: "Guest memory in MiB", defaultText: "1024" },
    { name: "pids-limit", kind: "string", metavar: "N", description: "Most processes and threads the workload may have at once (a fork bomb stops there)", defaultText: "512" },
    { name: "volume", alias: "v", kind: "repeated", metavar: "HOST:GUEST[:ro]", description: "Share a host directory at a guest path (a lone PATH shares it at the same path); :ro makes it read-only in the guest, :rw (the default) writable" },
    { name: "publish", alias: "p", kind: "repeated", metavar: "HOST:GUEST", description: "Expose guest TCP port GUEST on host port HOST" },
    { name: "env", alias: "e", kind: "repeated", metavar: "KEY=VAL", description: "Set an environment variable in the guest" },
    { name: "env-file", kind: "repeated", metavar: "FILE", description: "Read KEY=VAL lines from FILE (# comments; a bare KEY copies krunbox's own value)" },
    { name: "workdir", alias: "w", kind: "string", metavar: "DIR", description: "Working directory of CMD inside the guest" },
    { name: "rlimit", kind: "repeated", metavar: "NAME=SOFT:HARD", description: "Resource limit, e.g. RLIMIT_NOFILE=1024:2048 or nofile=1024:2048" },
    { name: "net", kind: "string", metavar: "SCOPE", choices: ["none", "group", "public", "any"], description: "Network scope: none (no network at all) or any (the host's network); group and public cannot be enforced by today's engines and are refused, never widened", defaultText: "none" },
    { name: "ip", kind: "string", metavar: "IPV4", description: "Guest IPv4 address (for --net group; refused by today's engines)" },
    { name: "subnet", kind: "string", metavar: "CIDR", description: "Guest subnet, e.g. 10.0.0.0/24 (for --net group; refused by today's engines)" },
    { name: "console-output", kind: "string", metavar: "FILE", description: "Also write the guest console (kernel and init messages) to FILE" },
    { name: "log-level", kind: "string", metavar: "LEVEL", choices: ["off", "error", "warn", "info", "debug", "trace", "0", "1", "2", "3", "4", "5"], description: "libkrun's log level", defaultText: "off" },
    { name: "engine", kind: "string", metavar: "ENGINE", choices: ["auto", "libkrun", "gvisor"], description: "auto picks libkrun where microVMs boot, else gvisor (with a notice)", defaultText: "auto" },
    { name: "timeout", kind: "string", metavar: "DURATION", description: "Stop the VM after DURATION (500ms, 30s, 2m, 1h30m; at most 8760h = 365 days); exit 124 like timeout(1)" },
    { name: "insecure", kind: "boolean", description: "Allow plain-HTTP registries when pulling IMAGE (loopback registries always are)" },
    { name: "pull", kind: "string", metavar: "WHEN", choices: ["missing", "never", "always"], description: "When to pull IMAGE", defaultText: "missing" },
    { name: "platform", kind: "string", metavar: "OS/ARCH", description: "Platform of IMAGE to pull, e.g. linux/arm64", defaultText: "this host's" },
    { ...jsonFlag, description: "Print one JSON record (status, signal, timedOut, engine, timings, stdout, stderr) instead of streaming output" }
  ],
  operands: "command",
  examples: [
    ["krunbox run -- /bin/echo hello", "hello world on the built-in rootfs"],
    ["krunbox run -e NAME=you -w /tmp sh -c 'echo hi $NAME from $(pwd)'", "environment and working directory"],
    ["krunbox run -v ./out:/out sh -c 'date > /out/stamp'", "write a result into a shared host folder"],
    ["krunbox run -v ./src:/src:ro -- ls /src", "share a folder the workload can read but not change"],
    ["krunbox run --timeout 5s --json -- sleep 60", "stop a runaway workload; JSON record for scripts"],
    ["krunbox run --net any -p 8080:8080 -- httpd -f -p 8080", "serve on the network (the default, none, has no network at all)"],
    ["krunbox run --rootfs ./my-rootfs --cpus 2 --memory 512 -- /usr/bin/python3 -V", "your own rootfs and resources"],
    ["krunbox run alpine:3.20 -- cat /etc/os-release", "run in an OCI image (pulled from Docker Hub when missing)"],
    ["krunbox run python:3.12-slim", "the image's own command (its Entrypoint and Cmd)"],
    ["krunbox run --insecure registry.lan:5000/team/app:1 -- /app/selftest", "an image from a plain-HTTP registry"]
  ]
}

export const pullSpec: CommandSpec = {
  name: "pull",
  summary: "Download an OCI image into the local image store",
  usage: "krunbox pull [--insecure] [--platform OS/ARCH] [--json] REF",
  description: [
    "REF is [registry[:port]/]repository[:tag][@sha256:DIGEST]; 'alpine' means",
    "docker.io/library/alpine:latest. Layers download in parallel, every digest is verified, and an",
    "interrupted pull resumes where it stopped. Credentials come from ~/.docker/config.json.",
    "Progress goes to stderr; the reference and manifest digest to stdout. Images live in",
    "$XDG_CACHE_HOME/krunbox/images (KRUNBOX_CACHE_DIR overrides)."
  ].join("\n"),
  flags: [
    { name: "insecure", kind: "boolean", description: "Use plain HTTP for a registry that is not on loopback (loopback always is)" },
    { name: "platform", kind: "string", metavar: "OS/ARCH", description: "Which platform of a multi-platform image, e.g. linux/arm64 or linux/arm/v7", defaultText: "this host's" },
    { ...jsonFlag, description: "Print the pulled image (reference, digests, platform, layers, size) as JSON" }
  ],
  operands: "one",
  examples: [
    ["krunbox pull alpine:3.20", "from Docker Hub"],
    ["krunbox pull localhost:5000/busybox:latest", "from a local registry"],
    ["krunbox pull --insecure registry.lan:5000/team/app:1", "a plain-HTTP registry on the network"],
    ["krunbox pull --platform linux/arm64 --json busybox | jq .manifestDigest", "another platform; its digest for scripts"]
  ]
}

export const imagesSpec: CommandSpec = {
  name: "images",
  summary: "List the images in the local image store",
  usage: "krunbox images [--all] [--json]",
  description: [
    "One line per pulled image: reference, manifest digest, platform, compressed size, and when",
    "it was pulled. --all also shows what each takes on disk once unpacked, how many runs use it",
    "now, and the unpacked images no reference names any more (<none>: left by rmi while a run",
    "used them, or by a pull that was killed), which 'krunbox prune' removes. For totals per",
    "kind, see 'krunbox system df'."
  ].join("\n"),
  flags: [
    { name: "all", alias: "a", kind: "boolean", description: "Add disk use (UNPACKED), live runs (RUNS) and unreferenced unpacked images (<none>)" },
    { ...jsonFlag, description: "Print every image (reference, digests, platform, layers, size, pulledAt) as a JSON array; with --all one object per row (reference null for <none>)" }
  ],
  operands: "none",
  examples: [
    ["krunbox images", "reference, digest, platform, size and when it was pulled"],
    ["krunbox images --all", "also the unpacked size, live runs and leftovers prune would remove"],
    ["krunbox images --json | jq -r '.[].reference'", "just the references"]
  ]
}

export const pruneSpec: CommandSpec = {
  name: "prune",
  summary: "Remove from the image store what nothing uses",
  usage: "krunbox prune [--json]",
  description: [
    "Removes run directories of krunbox processes that died (killed, crashed), partial downloads",
    "and unpack leftovers of pulls that were interrupted, unpacked images no image references",
    "(what rmi kept while a run used it), and blobs no image uses. Never touches a pulled image,",
    "a live run, or a pull in progress, in this process or another: a process counts as alive by",
    "its pid, start time and boot (in another PID namespace, while it keeps its files fresh).",
    "An interrupted pull downloads its layers again afterwards. See what it would free first with",
    "'krunbox system df'."
  ].join("\n"),
  flags: [{ ...jsonFlag, description: "Print what was removed (staleRuns, removedBases, removedDownloads, removedUnpackDirs, deletedBlobs, freedBytes)" }],
  operands: "none",
  examples: [
    ["krunbox prune", "remove leftovers and say how much was freed"],
    ["krunbox system df && krunbox prune", "look first, then clean"],
    ["krunbox prune --json | jq .freedBytes", "bytes freed, for scripts"]
  ]
}

export const systemSpec: CommandSpec = {
  name: "system",
  summary: "Show what the image store takes on disk (system df)",
  usage: "krunbox system df [--json]",
  description: [
    "One line per kind: pulled images (their blobs), unpacked images, run directories, partial",
    "downloads and unpack leftovers, each with how many there are, how many are in use (a live",
    "run, a pull in progress), their size on disk, and what 'krunbox prune' would free. Then the",
    "total and the store's folder."
  ].join("\n"),
  flags: [{ ...jsonFlag, description: "Print everything measured (every image, unpacked image, run, download) as one JSON object" }],
  operands: "one",
  examples: [
    ["krunbox system df", "sizes per kind and what prune would free"],
    ["krunbox system df --json | jq .reclaimableBytes", "reclaimable bytes, for scripts"]
  ]
}

export const rmiSpec: CommandSpec = {
  name: "rmi",
  summary: "Remove images from the local image store",
  usage: "krunbox rmi [--json] REF...",
  description: [
    "Forgets each REF and deletes the layers and unpacked files no other image uses. A run still",
    "using the image keeps its files until it ends. Exits 125 if any REF could not be removed."
  ].join("\n"),
  flags: [{ ...jsonFlag, description: "Print one JSON record per REF (reference, deletedBlobs, freedBytes, or error)" }],
  operands: "many",
  examples: [
    ["krunbox rmi alpine:3.20", "remove one image"],
    ["krunbox images --json | jq -r '.[].reference' | xargs krunbox rmi", "remove every image"]
  ]
}

export const setupSpec: CommandSpec = {
  name: "setup",
  summary: "Obtain and verify the native runtime (libkrun, libkrunfw, guest init, rootfs, gVisor)",
  usage: "krunbox setup [--force] [--json]",
  description: [
    "Prefers system installs; otherwise builds libkrun 1.19.0 from crates.io and unpacks Debian's",
    "libkrunfw5, all cached under $XDG_CACHE_HOME/krunbox (default ~/.cache/krunbox).",
    "Idempotent: a second run only verifies. Other commands run it implicitly on first need."
  ].join("\n"),
  flags: [
    { name: "force", kind: "boolean", description: "Rebuild and re-download everything, ignoring the cache" },
    jsonFlag
  ],
  operands: "none",
  examples: [
    ["krunbox setup", "first-time setup, with progress"],
    ["krunbox setup --json | jq .libkrun", "where libkrun came from, its version and sha256"]
  ]
}

export const doctorSpec: CommandSpec = {
  name: "doctor",
  summary: "Report what this host can run and why (KVM, libkrun, gVisor, boot probe)",
  usage: "krunbox doctor [--json] [--no-probe]",
  flags: [
    jsonFlag,
    { name: "no-probe", kind: "boolean", description: "Skip the boot probe (a VM running /bin/true)" }
  ],
  operands: "none",
  examples: [
    ["krunbox doctor", "human-readable report"],
    ["krunbox doctor --json | jq .kvm", "the KVM section for scripts"]
  ]
}

export const versionSpec: CommandSpec = {
  name: "version",
  summary: "Print the versions of krunbox, libkrun and libkrunfw",
  usage: "krunbox version [--json]",
  flags: [jsonFlag],
  operands: "none",
  examples: [["krunbox version", "versions, one per line"]]
}

export const completionSpec: CommandSpec = {
  name: "completion",
  summary: "Print a shell completion script (bash, zsh or fish)",
  usage: "krunbox completion bash|zsh|fish",
  flags: [],
  operands: "one",
  examples: [
    ["source <(krunbox completion bash)", "enable completion in the current bash"],
    ["krunbox completion fish > ~/.config/fish/completions/krunbox.fish", "install for fish"]
  ]
}
