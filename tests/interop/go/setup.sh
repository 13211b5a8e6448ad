#!/usr/bin/env bash
# Build the Go oracles of the interop tests into .ledger/interop/bin (prints that directory):
#   tlogcheck               our test program on golang.org/x/mod/sumdb/{tlog,note} and torchwood
#   litewitness, witnessctl filippo.io/torchwood v0.9.0's witness, pinned by go.mod/go.sum
# Modules come from the Go module proxy; GOPATH, the module cache and the build cache live in
# .ledger/go (gitignored), so a second run builds nothing (well under a second). Binaries are
# static (CGO_ENABLED=0). litewitness reads its key from an ssh-agent: openssh-client is
# installed when ssh-agent is missing (root only, like deploy/chromium/ensure.sh).
#   bash tests/interop/go/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="$root/.ledger/interop/bin"

if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: the interop tests need the Go toolchain (go.dev/dl)" >&2
  exit 1
fi
if ! command -v ssh-agent >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ssh-agent is missing and installing openssh-client needs root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends openssh-client >&2
fi

export GOPATH="$root/.ledger/go/path"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOCACHE="$root/.ledger/go/cache"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"

stamp="$bin/.built"
if [ -f "$stamp" ] && [ -x "$bin/tlogcheck" ] && [ -x "$bin/litewitness" ] && [ -x "$bin/witnessctl" ] \
   && [ -z "$(find "$here" -newer "$stamp" \( -name '*.go' -o -name go.mod -o -name go.sum \) -print -quit)" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"
cd "$here"
go build -trimpath -o "$bin/" ./tlogcheck filippo.io/torchwood/cmd/litewitness filippo.io/torchwood/cmd/witnessctl >&2
touch "$stamp"
echo "$bin"
