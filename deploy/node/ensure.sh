#!/usr/bin/env bash
# Installs the pinned npm packages of deploy/node (package-lock.json, `npm ci`) and builds the
# browser verifier bundle (ledger/credentials/web/verifier.bundle.js) from them, and copies the
# API documentation pages' assets (Swagger UI, ReDoc: served by `ledger serve` at /docs/assets,
# no CDN) into ledger/api/docs_assets/ (not committed). Idempotent: does nothing when the
# lockfile and the bundle's sources have not changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null || { echo "deploy/node: npm (node 20) is required" >&2; exit 1; }
stamp=node_modules/.lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
web=../../ledger/credentials/web
bundle=$web/verifier.bundle.js
if [[ ! -f $bundle || $web/verifier.mjs -nt $bundle || $stamp -nt $bundle ||
      ../../ledger/credentials/contexts/ledger-v1.json -nt $bundle ]]; then
  NODE_PATH="$PWD/node_modules" ./node_modules/.bin/esbuild "$web/verifier.mjs" --bundle \
    --format=iife --global-name=LedgerVerifier --platform=browser --target=chrome120 \
    --outfile="$bundle" --log-level=warning
fi
docs=../../ledger/api/docs_assets
mkdir -p "$docs"
cp -u node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
  node_modules/swagger-ui-dist/favicon-32x32.png node_modules/redoc/bundles/redoc.standalone.js "$docs/"
echo "deploy/node: packages, browser bundle and documentation assets ready" >&2
