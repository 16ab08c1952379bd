/**
 * bench/spec-parse: what parsing a large deployed spec costs the manager's event loop,
 * parsed inline (on the loop, as before) and in the spec-parser worker (as the manager does),
 * side by side in one run on the same specs. The figure that matters is the longest stall:
 * the longest time a 1 ms timer on the loop waited while the parse ran.
 *
 *   npx tsx bench/spec-parse.ts [--runs 5]
 */
import { parseArgs } from 'node:util';
import { loadSpec } from '../src/core/appspec/load-spec.ts';
import { SpecParser } from '../src/manager/specs/spec-parser.ts';
import { bigValidSpec } from '../src/manager/specs/testdata/big-spec.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);

/** Runs `work` while a 1 ms timer measures the loop; returns the parse time and the longest stall. */
async function measure(work: () => Promise<unknown>): Promise<{ ms: number; stallMs: number }> {
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20)); // the timer is running
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20)); // a stall that ends with the parse is counted
  clearInterval(tick);
  return { ms, stallMs: stall };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const source = bigValidSpec();
const parser = new SpecParser();
await parser.parse('apps: {}\n', 'warm.yaml'); // the worker's start is paid once per manager, not per deploy
const rows: Record<'inline' | 'worker', { ms: number[]; stall: number[] }> = { inline: { ms: [], stall: [] }, worker: { ms: [], stall: [] } };
for (let i = 0; i < RUNS; i++) {
  // alternate, so machine noise hits both alike
  const a = await measure(async () => loadSpec(source, 'big.yaml'));
  rows.inline.ms.push(a.ms);
  rows.inline.stall.push(a.stallMs);
  const b = await measure(() => parser.parse(source, 'big.yaml'));
  rows.worker.ms.push(b.ms);
  rows.worker.stall.push(b.stallMs);
}
await parser.close();

console.log(`spec: ${(source.length / 1024).toFixed(0)} KiB, ${source.split('\n').length} lines; ${RUNS} runs each, medians (max)`);
console.log('how     parse ms          longest loop stall ms');
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `${name.padEnd(7)} ${median(r.ms).toFixed(0).padStart(6)} (${Math.max(...r.ms).toFixed(0)})`.padEnd(26) +
      `${median(r.stall).toFixed(1).padStart(6)} (${Math.max(...r.stall).toFixed(1)})`,
  );
}
console.log(`stall ratio inline/worker (medians): ${(median(rows.inline.stall) / median(rows.worker.stall)).toFixed(1)}x`);
