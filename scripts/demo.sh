#!/usr/bin/env bash
# The main job: a 3-node lab cluster with the seed's two sample apps, then the URLs to open.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
M=./bin/matrix
$M lab up --nodes "${NODES:-3}"
$M images sample
$M deploy examples/applications.plan
$M ps
home="${MATRIX_HOME:-$HOME/.cloudmatrix}"
port=$(node -e "const c=require(process.argv[1]);console.log(c.ingress.split(':').pop())" "$home/manager.json")
api=$(node -e "const c=require(process.argv[1]);console.log((c.apiTls?'https://':'http://')+c.api)" "$home/manager.json")
echo
echo "open:"
echo "  http://127.0.0.1:${port}/simplewebapp1/"
echo "  http://127.0.0.1:${port}/simplewebapp2/"
echo "dashboard:       ${api}/ui/   (log in with the token in $home/token)"
echo "see it work:     ./bin/matrix top      ./bin/matrix logs simplewebapp1 -f      ./bin/matrix events -f"
echo "try a failover:  ./bin/matrix lab poweroff node1   (then reload the page)"
echo "clean up:        ./bin/matrix lab down"
