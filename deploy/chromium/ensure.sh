#!/usr/bin/env bash
# Install Debian's chromium when absent (idempotent; needs root for apt-get).
# Prints the path of the browser on stdout. Used by the verification-page browser tests:
#   bash deploy/chromium/ensure.sh
set -euo pipefail

find_browser() {
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if browser=$(find_browser); then
  echo "$browser"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is not installed and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
find_browser
