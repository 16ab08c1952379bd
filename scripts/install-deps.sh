#!/usr/bin/env bash
# Installs the Debian packages and npm dependencies cloudmatrix needs (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(docker.io docker-registry varnish tcc busybox-static iproute2 iptables util-linux procps curl wrk openssh-client openssh-server sudo chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error[E_LAB]: missing Debian packages (${missing[*]}) and not root: run as root or install them" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
# bin/matrix runs the compiled JavaScript: build it (incremental, a few seconds when nothing changed)
npm run --silent build
