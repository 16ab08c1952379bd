/**
 * The seed's ingress, for comparison: a Varnish whose VCL is a round-robin director over
 * the replicas' addresses, with no health probes and no retries, written once (the seed's
 * `update-proxy` script was run by hand after changes). Its own varnishd on :6093.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Varnish } from '../src/manager/ingress/varnish.ts';
import { HOME } from './lab-bench.ts';

export const SEED_PORT = 6093;

export function seedVcl(app: string, backends: { address: string; port: number }[]): string {
  const names = backends.map((_, i) => `b${i}`);
  return [
    'vcl 4.1;',
    'import directors;',
    'backend default none;',
    ...backends.map((b, i) => `backend ${names[i]} { .host = "${b.address}"; .port = "${b.port}"; }`),
    'sub vcl_init {',
    `  new ${app} = directors.round_robin();`,
    ...names.map((n) => `  ${app}.add_backend(${n});`),
    '}',
    'sub vcl_recv {',
    `  if (req.url ~ "^/${app}/") {`,
    `    set req.url = regsub(req.url, "^/${app}", "");`,
    `    set req.backend_hint = ${app}.backend();`,
    '    return (pass);',
    '  }',
    '  return (synth(404));',
    '}',
    '',
  ].join('\n');
}

export async function startSeedIngress(): Promise<Varnish> {
  const dir = join(HOME, 'seed-varnish');
  mkdirSync(dir, { recursive: true });
  const v = new Varnish(dir, `127.0.0.1:${SEED_PORT}`, '127.0.0.1:6094');
  await v.start('vcl 4.1;\nbackend default none;\n');
  return v;
}
