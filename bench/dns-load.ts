/**
 * A closed-loop DNS load: `--concurrency` queries in flight against one server for
 * `--seconds`, each name asked in turn; prints one JSON line (queries/s, p50/p99 in ms,
 * failures). bench/dns.ts runs it inside a container's network namespace.
 *
 *   npx tsx bench/dns-load.ts --server 127.0.0.11 --name web.matrix [--name other] [--seconds 5] [--concurrency 8]
 */
import { Resolver } from 'node:dns/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    name: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
  },
});
const names = values.name ?? [];
if (!values.server || names.length === 0) throw new Error('--server and --name are needed');
const until = performance.now() + Number(values.seconds) * 1000;
const lat: number[] = [];
let failed = 0;
let i = 0;

async function worker(): Promise<void> {
  // one resolver per worker: c-ares queues per channel
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([values.server!]);
  while (performance.now() < until) {
    const name = names[i++ % names.length]!;
    const t0 = performance.now();
    try {
      const a = await r.resolve4(name);
      if (a.length === 0) failed++;
      else lat.push(performance.now() - t0);
    } catch {
      failed++;
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
const s = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]! : NaN);
console.log(JSON.stringify({ answered: lat.length, failed, qps: Math.round(lat.length / s), p50_ms: +pct(50).toFixed(2), p99_ms: +pct(99).toFixed(2) }));
