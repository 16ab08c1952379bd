#!/usr/bin/env bash
# The whole test suite: lint and format check, type check, unit tests, then the end-to-end tests against a real lab
# (root, network namespaces, dockerd, registry, Varnish). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run lint
npx tsc --noEmit
npx vitest run --project unit
npx vitest run --project lab
