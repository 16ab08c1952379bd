/**
 * Pure: what `matrix node env` and `matrix node config` print, so the stock docker CLI talks
 * to a node's engine over mutual TLS, as `docker-machine env` / `config` do. The certificate
 * directory holds ca.pem, cert.pem and key.pem (the layout DOCKER_CERT_PATH expects). An
 * engine on a unix socket (the local driver) needs no certificates: the TLS variables are unset.
 */
import { join } from 'node:path';
import { engineHost, type NodeInfo } from '../core/model.ts';
import { shellQuote } from '../util/shell-quote.ts';

export type EngineEndpoint = Pick<NodeInfo, 'name' | 'address' | 'enginePort' | 'socket'>;

export type EnvShell = 'sh' | 'fish';
export const ENV_SHELLS: readonly EnvShell[] = ['sh', 'fish'];

/** The variables, in the order they are printed; null: unset (TLS settings left from another node's env). */
export function dockerEnv(e: EngineEndpoint, certDir: string): [string, string | null][] {
  const tls = e.socket === undefined;
  return [
    ['DOCKER_TLS_VERIFY', tls ? '1' : null],
    ['DOCKER_HOST', engineHost(e)],
    ['DOCKER_CERT_PATH', tls ? certDir : null],
    ['MATRIX_NODE', e.name],
  ];
}

export function envScript(e: EngineEndpoint, certDir: string, o: { shell: EnvShell; unset: boolean; self: string }): string {
  const vars = dockerEnv(e, certDir);
  const lines =
    o.shell === 'fish'
      ? vars.map(([k, v]) => (o.unset || v === null ? `set -e ${k};` : `set -gx ${k} ${shellQuote(v)};`))
      : o.unset
        ? [`unset ${vars.map(([k]) => k).join(' ')}`]
        : vars.map(([k, v]) => (v === null ? `unset ${k}` : `export ${k}=${shellQuote(v)}`));
  const how = o.shell === 'fish' ? `eval (${o.self})` : `eval "$(${o.self})"`;
  return [...lines, '# Run this command to configure your shell:', `# ${how}`].join('\n') + '\n';
}

/** The docker CLI flags for one command against the node: `docker $(matrix node config n1) ps`. */
export function dockerConfigFlags(e: EngineEndpoint, certDir: string): string[] {
  if (e.socket !== undefined) return [`-H=${engineHost(e)}`];
  return [
    '--tlsverify',
    `--tlscacert=${join(certDir, 'ca.pem')}`,
    `--tlscert=${join(certDir, 'cert.pem')}`,
    `--tlskey=${join(certDir, 'key.pem')}`,
    `-H=${engineHost(e)}`,
  ];
}
