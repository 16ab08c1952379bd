/**
 * The sample apps' entry script. The page is written at container start because node and
 * replica are only known then (the manager sets MATRIX_NODE / MATRIX_REPLICA), and the
 * container id only exists then. One fact per line so tests and `curl | grep` can check it.
 */
import { MatrixError } from '../../core/errors.ts';

export const SAMPLE_APPS = ['simplewebapp1', 'simplewebapp2'] as const;

// The name ends up in a shell script, a URL path and a repository name: keep it boring.
const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function assertAppName(app: string): void {
  if (!APP_NAME.test(app)) throw new MatrixError('E_BAD_REQUEST', `not a valid app name: ${JSON.stringify(app)}`, { path: 'app' });
}

/**
 * `WWW` overrides the web root so tests can run the very same script on the host.
 * The page lands at `/` and at `/<app>/`, so it answers with or without the ingress prefix.
 */
export function startScript(app: string): string {
  assertAppName(app);
  return `#!/bin/sh
# cloudmatrix sample app "${app}": write the page, then serve it.
set -e
APP='${app}'
WWW="\${WWW:-/www}"
mkdir -p "$WWW/$APP"
{
  echo '<!doctype html>'
  echo "<html><head><title>$APP</title></head><body><pre>"
  echo "app=$APP"
  echo "node=\${MATRIX_NODE:-unknown}"
  echo "replica=\${MATRIX_REPLICA:-unknown}"
  echo "container=$(hostname)"
  echo '</pre></body></html>'
} > "$WWW/index.html"
cp "$WWW/index.html" "$WWW/$APP/index.html"
echo ok > "$WWW/healthz"
# the first line of its logs; httpd -v then logs each request on stderr
echo "$APP: serving \${MATRIX_REPLICA:-unknown} on :\${PORT:-8080}"
exec httpd -f -v -p "\${PORT:-8080}" -h "$WWW"
`;
}
