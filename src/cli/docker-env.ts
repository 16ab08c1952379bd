/**
 * Pure: what `matrix node env` and `matrix node config` print, so the stock docker CLI talks
 * to a node's engine over mutual TLS, as `docker-machine env` / `config` do. The certificate
 * directory holds ca.pem, cert.pem and key.pem (the layout DOCKER_CERT_PATH expects).
 */
import { join } from 'node:path';
import { shellQuote } from '../util/shell-quote.ts';

export interface EngineEndpoint {
  name: string;
  address: string;
  enginePort: number;
}

export type EnvShell = 'sh' | 'fish';
export const ENV_SHELLS: readonly EnvShell[] = ['sh', 'fish'];

/** The variables, in the order they are printed. */
export function dockerEnv(e: EngineEndpoint, certDir: string): [string, string][] {
  return [
    ['DOCKER_TLS_VERIFY', '1'],
    ['DOCKER_HOST', `tcp://${hostPort(e)}`],
    ['DOCKER_CERT_PATH', certDir],
    ['MATRIX_NODE', e.name],
  ];
}

export function envScript(e: EngineEndpoint, certDir: string, o: { shell: EnvShell; unset: boolean; self: string }): string {
  const vars = dockerEnv(e, certDir);
  const lines =
    o.shell === 'fish'
      ? o.unset
        ? vars.map(([k]) => `set -e ${k};`)
        : vars.map(([k, v]) => `set -gx ${k} ${shellQuote(v)};`)
      : o.unset
        ? [`unset ${vars.map(([k]) => k).join(' ')}`]
        : vars.map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  const how = o.shell === 'fish' ? `eval (${o.self})` : `eval "$(${o.self})"`;
  return [...lines, '# Run this command to configure your shell:', `# ${how}`].join('\n') + '\n';
}

/** The docker CLI flags for one command against the node: `docker $(matrix node config n1) ps`. */
export function dockerConfigFlags(e: EngineEndpoint, certDir: string): string[] {
  return [
    '--tlsverify',
    `--tlscacert=${join(certDir, 'ca.pem')}`,
    `--tlscert=${join(certDir, 'cert.pem')}`,
    `--tlskey=${join(certDir, 'key.pem')}`,
    `-H=tcp://${hostPort(e)}`,
  ];
}

function hostPort(e: EngineEndpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.enginePort}` : `${e.address}:${e.enginePort}`;
}
