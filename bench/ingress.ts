/**
 * bench/ingress: what the Varnish ingress costs a request. A fast static backend (a varnishd
 * of its own answering every request from `vcl_recv` with a fixed 200: no fork, no disk, no
 * app) is loaded with wrk straight, and through the cluster's ingress (a real varnishd with
 * the VCL the manager renders for one replica of app `web`), in interleaved rounds with the
 * same wrk settings, so a noisy machine slows both alike. Prints requests/s and latency
 * percentiles per side, the median throughput ratio and the p99 difference.
 *
 *   npx tsx bench/ingress.ts [--rounds 5] [--seconds 5] [--connections 16] [--threads 2]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderVcl } from '../src/core/ingress/vcl.ts';
import { Varnish } from '../src/manager/ingress/varnish.ts';
import { freePort } from '../src/manager/registry/test-registry.ts';
import { median, parseWrk, type WrkResult } from './lab-bench.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
  },
});
const ROUNDS = Number(values.rounds);
const WRK = ['-t', values.threads!, '-c', values.connections!, '-d', `${values.seconds}s`, '--latency'];

/** The backend: every request answered from vcl_recv, as a static file server at its fastest. */
const STATIC_VCL = `vcl 4.1;
backend default none;
sub vcl_recv { return (synth(200, "OK")); }
sub vcl_synth {
  set resp.http.Content-Type = "text/html; charset=utf-8";
  set resp.body = {"<!doctype html><html><head><title>web</title></head><body><pre>app=web</pre></body></html>
"};
  return (deliver);
}
`;

const wrk = (url: string): WrkResult => parseWrk(execFileSync('wrk', [...WRK, url], { encoding: 'utf8' }));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-ingress-'));
  const port = async () => `127.0.0.1:${await freePort()}`;
  const backendAddr = await port();
  const backend = new Varnish(join(dir, 'backend'), backendAddr, await port());
  // the ingress as the manager runs it: started empty, the route applied (its VCL compiled by the
  // quick compiler: tcc, or the build's at -O0); and the same VCL booted with -f (compiled by the
  // build's gcc -O2), to show what the quick compile costs a request
  const ingressAddr = await port();
  const ingress = new Varnish(join(dir, 'ingress'), ingressAddr, await port());
  const bootedAddr = await port();
  const booted = new Varnish(join(dir, 'booted'), bootedAddr, await port());
  try {
    await backend.start(STATIC_VCL);
    const vcl = renderVcl([{ app: 'web', node: 'node1', address: '127.0.0.1', port: Number(backendAddr.split(':')[1]) }]);
    await ingress.start(renderVcl([]));
    await ingress.apply(vcl);
    await booted.start(vcl);
    const targets = {
      direct: `http://${backendAddr}/`,
      through: `http://${ingressAddr}/web/`,
      throughO2: `http://${bootedAddr}/web/`,
    };
    // every one answers before anything is timed (the ingress's probe must find the backend healthy)
    for (const u of Object.values(targets)) {
      const r = await fetch(u);
      if (r.status !== 200) throw new Error(`${u} answered ${r.status}`);
    }
    type Row = Record<keyof typeof targets, WrkResult>;
    const rows: Row[] = [];
    console.log(`wrk ${WRK.join(' ')}, ${ROUNDS} interleaved rounds`);
    for (let i = 0; i < ROUNDS; i++) {
      const r: Row = { direct: wrk(targets.direct), through: wrk(targets.through), throughO2: wrk(targets.throughO2) };
      rows.push(r);
      console.log(
        `round ${i + 1}: direct ${r.direct.rps.toFixed(0)} req/s p99 ${r.direct.p99ms.toFixed(2)} ms | through the ingress ${r.through.rps.toFixed(0)} req/s p99 ${r.through.p99ms.toFixed(2)} ms (ratio ${(r.through.rps / r.direct.rps).toFixed(2)}) | same VCL by gcc -O2 ${r.throughO2.rps.toFixed(0)} req/s`,
      );
    }
    const m = (f: (r: Row) => number) => median(rows.map(f));
    const ratio = m((r) => r.through.rps / r.direct.rps);
    const p99Delta = m((r) => r.through.p99ms - r.direct.p99ms);
    const quickVsO2 = m((r) => r.through.rps / r.throughO2.rps);
    console.log(`\nmedian requests/s: direct ${m((r) => r.direct.rps).toFixed(0)}, through the ingress ${m((r) => r.through.rps).toFixed(0)}`);
    console.log(`median p50: direct ${m((r) => r.direct.p50ms).toFixed(2)} ms, through ${m((r) => r.through.p50ms).toFixed(2)} ms`);
    console.log(`median p99: direct ${m((r) => r.direct.p99ms).toFixed(2)} ms, through ${m((r) => r.through.p99ms).toFixed(2)} ms`);
    console.log(`throughput ratio (through / direct, median of rounds): ${ratio.toFixed(2)}; p99 added: ${p99Delta.toFixed(2)} ms`);
    console.log(`VCL from the quick compiler vs gcc -O2, requests/s ratio: ${quickVsO2.toFixed(2)}`);
    const errors = rows.reduce((s, r) => s + r.direct.errors + r.through.errors + r.throughO2.errors, 0);
    if (errors) console.log(`errors (non-2xx, socket errors) over all rounds: ${errors}`);
    console.log(
      JSON.stringify({
        bench: 'ingress',
        rounds: ROUNDS,
        wrk: WRK.join(' '),
        directRps: Math.round(m((r) => r.direct.rps)),
        throughRps: Math.round(m((r) => r.through.rps)),
        ratio: Number(ratio.toFixed(3)),
        directP99Ms: Number(m((r) => r.direct.p99ms).toFixed(3)),
        throughP99Ms: Number(m((r) => r.through.p99ms).toFixed(3)),
        p99AddedMs: Number(p99Delta.toFixed(3)),
        quickVsO2: Number(quickVsO2.toFixed(3)),
        errors,
      }),
    );
  } finally {
    for (const v of [ingress, booted, backend]) v.stop();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
