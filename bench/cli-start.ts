/**
 * bench/cli-start: how long the `matrix` CLI takes to start, side by side with `docker` and
 * with node doing nothing (the floor any Node CLI pays), in interleaved rounds so a noisy
 * machine slows every command alike. With a running manager (`--lab`, a 1-node lab of its
 * own), also `matrix ps` and `matrix nodes` (one API call each).
 *
 *   npx tsx bench/cli-start.ts [--rounds 15] [--lab]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HOME, labDown, labUp, median, ROOT } from './lab-bench.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, lab: { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const MATRIX = join(ROOT, 'bin', 'matrix');

interface Cmd {
  name: string;
  argv: string[];
  /** Exit codes that still count as a run (docker version exits 1 when no daemon answers). */
  ok: number[];
}

const cmds: Cmd[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'], ok: [0] },
  { name: 'docker --version', argv: ['docker', '--version'], ok: [0] },
  { name: 'docker version', argv: ['docker', 'version'], ok: [0, 1] },
  { name: 'matrix --version', argv: [MATRIX, '--version'], ok: [0] },
  { name: 'matrix --help', argv: [MATRIX, '--help'], ok: [0] },
];
if (values.lab) cmds.push({ name: 'matrix ps', argv: [MATRIX, 'ps'], ok: [0] }, { name: 'matrix nodes', argv: [MATRIX, 'nodes'], ok: [0] });

function timeOnce(c: Cmd): number {
  const t = performance.now();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), { env: { ...process.env, MATRIX_HOME: HOME }, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = (performance.now() - t) / 1000;
  if (!c.ok.includes(r.status ?? -1)) throw new Error(`${c.name} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  return s;
}

async function main(): Promise<void> {
  if (values.lab) await labUp(1);
  else spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' }); // bin/matrix runs dist/
  try {
    const times = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
    for (const c of cmds) timeOnce(c); // warm the page cache once
    for (let i = 0; i < ROUNDS; i++) for (const c of cmds) times.get(c.name)!.push(timeOnce(c));
    const med = (n: string) => median(times.get(n)!);
    console.log(`${ROUNDS} interleaved rounds, wall seconds (min / median):`);
    for (const c of cmds) {
      const t = times.get(c.name)!;
      console.log(
        `  ${c.name.padEnd(18)} ${Math.min(...t).toFixed(3)} / ${med(c.name).toFixed(3)}   x${(med(c.name) / med('docker version')).toFixed(1)} docker version`,
      );
    }
    const json: Record<string, number> = {};
    for (const c of cmds) json[`${c.name.replace(/[^a-z]+/g, '_').replace(/^_|_$/g, '')}_s`] = Number(med(c.name).toFixed(4));
    json.version_vs_docker = Number((med('matrix --version') / med('docker version')).toFixed(2));
    json.version_over_node_s = Number((med('matrix --version') - med('node -e 0')).toFixed(4));
    console.log(JSON.stringify({ bench: 'cli-start', rounds: ROUNDS, ...json }));
  } finally {
    if (values.lab) await labDown();
  }
}

await main();
