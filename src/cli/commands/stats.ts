/** `matrix stats` and `matrix top`: the cluster's usage per node and per app, once or redrawn in place. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { StatsView } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { table, wantsJson } from '../output.ts';
import { binaryBytes } from '../../shared/units.ts';

/** Pure: bytes in binary units, a dash when not measured. */
export function bytesText(n: number | null): string {
  return n === null ? '-' : binaryBytes(n);
}

const pct = (x: number | null): string => (x === null ? '-' : `${x.toFixed(1)}%`);
const rate = (x: number | null): string => (x === null ? '-' : x.toFixed(1));

/** Pure: the two tables `matrix stats` prints, nodes then apps; a dash where something was not measured. */
export function statsText(s: StatsView): string {
  const nodes = table(
    ['NODE', 'STATE', 'CPUS', 'CPU%', 'MEMORY', 'DISK', 'CONTAINERS'],
    s.nodes.map((n) => [
      n.name,
      n.state,
      n.cpus ?? '-',
      pct(n.cpuPercent),
      `${bytesText(n.memoryBytes)} / ${bytesText(n.memoryTotalBytes)}`,
      bytesText(n.diskBytes),
      n.containers,
    ]),
  );
  const apps = s.apps.length
    ? table(
        ['APP', 'REPLICAS', 'CPU%', 'MEMORY', 'REQ/S', 'FAILED/S'],
        s.apps.map((a) => [
          a.name,
          `${a.running}/${a.desired}`,
          pct(a.cpuPercent),
          bytesText(a.memoryBytes),
          rate(a.requestsPerSecond),
          rate(a.failedPerSecond),
        ]),
      )
    : 'no apps deployed';
  return `${nodes}\n\n${apps}`;
}

/** Pure: the seconds between redraws, checked. */
export function watchInterval(s: string): number {
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || n < 1 || n > 3600)
    throw new MatrixError('E_BAD_REQUEST', `must be a number of seconds in 1..3600, got "${s}"`, { path: '--interval' });
  return n;
}

async function showStats(o: { watch?: boolean; interval: string; output: string }): Promise<void> {
  const json = wantsJson(o);
  const every = watchInterval(o.interval);
  const api = ApiClient.fromEnv();
  // redrawn in place on a terminal; one after another (one JSON object per line with -o json) otherwise
  const inPlace = Boolean(o.watch && process.stdout.isTTY && !json);
  for (;;) {
    const s = await api.stats();
    if (json) console.log(o.watch ? JSON.stringify(s) : JSON.stringify(s, null, 2));
    else {
      const warnings = s.errors.map((e) => `warning: ${e.subject}: ${e.message}`).join('\n');
      if (inPlace) process.stdout.write(`\x1b[H\x1b[2J${s.at.slice(0, 19)}Z  (every ${every} s, Ctrl-C stops)\n\n`);
      console.log(statsText(s));
      if (warnings) (inPlace ? console.log : console.error)(`\n${warnings}`);
      if (o.watch && !inPlace) console.log('');
    }
    if (!o.watch) return;
    await new Promise((r) => setTimeout(r, every * 1000));
  }
}

export function statsCommands(program: Command): void {
  const options = (c: Command) =>
    c
      .option('--interval <seconds>', 'seconds between readings with --watch', '2')
      .option('-o, --output <format>', 'text (tables) or json (what the API answers)', 'text');
  options(
    program
      .command('stats')
      .description(
        "usage per node (CPU and memory of its cloudmatrix containers, disk of its engine) and per app (replicas, CPU, memory, and the ingress's requests and failed fetches per second)",
      )
      .option('-w, --watch', 'read again every --interval seconds, redrawn in place on a terminal (Ctrl-C stops)'),
  ).action((o: { watch?: boolean; interval: string; output: string }) => showStats(o));
  options(program.command('top').description('`matrix stats --watch`: usage per node and per app, redrawn in place')).action(
    (o: { interval: string; output: string }) => showStats({ ...o, watch: true }),
  );
}
