#!/usr/bin/env bash
# Build the Go oracles of the interop tests into .ledger/interop/bin (prints that directory):
#   tlogcheck               our test program on golang.org/x/mod/sumdb/{tlog,note} and torchwood
#   litewitness, witnessctl filippo.io/torchwood v0.9.0's witness, pinned by go.mod/go.sum
# Modules come from the Go module proxy; GOPATH, the module cache and the build cache live in
# .ledger/go (gitignored), so a second run builds nothing (well under a second). Binaries are
# static (CGO_ENABLED=0). litewitness reads its key from an ssh-agent: openssh-client is
# installed when ssh-agent is missing (root only, like deploy/chromium/ensure.sh).
# Cost on a fresh machine: one `go build` of the three programs (shared packages compiled
# once), only the packages they import downloaded (go.sum pinned, -mod=readonly); nearly all
# the time is the compilation of modernc.org/sqlite (C transpiled to Go, under litewitness's
# zombiezen.com/go/sqlite), compiled without optimisation (-N -l: a test witness does not need
# a fast SQLite) and linked without symbol tables (-s -w). `make test` starts this script in
# the background first (it overlaps with the services' start); runs are serialised by a lock,
# so the interop fixture's own call waits for that build instead of starting a second one.
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

mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9  # one build at a time (make test's background run, the pytest fixture)

stamp="$bin/.built"
if [ -f "$stamp" ] && [ -x "$bin/tlogcheck" ] && [ -x "$bin/litewitness" ] && [ -x "$bin/witnessctl" ] \
   && [ -z "$(find "$here" -newer "$stamp" \( -name '*.go' -o -name go.mod -o -name go.sum -o -name setup.sh \) -print -quit)" ]; then
  echo "$bin"
  exit 0
fi
cd "$here"
start=$SECONDS
go build -trimpath -ldflags="-s -w" -gcflags="modernc.org/...=-N -l" -o "$bin/" \
  ./tlogcheck filippo.io/torchwood/cmd/litewitness filippo.io/torchwood/cmd/witnessctl >&2
echo "Go interop tools built in $((SECONDS - start)) s" >&2
touch "$stamp"
echo "$bin"
