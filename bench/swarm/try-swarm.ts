/**
 * bench/swarm/try-swarm: the Swarm side of bench/zero-downtime on its own. Brings up the
 * bench lab (mxb-*, 10.214.0.0/24), forms a 3-manager swarm, runs every scenario on both
 * ways Swarm works here (dnsrr + client on the overlay; host-mode ports + probing Varnish)
 * with short durations, prints a table, and always leaves the swarm and removes the lab.
 *
 *   npx tsx bench/swarm/try-swarm.ts [--seconds 10] [--rate 50] [--only swarm-dnsrr:node-poweroff,...]
 */
import { parseArgs } from 'node:util';
import { HOME, labDown, labUp, lab } from '../lab-bench.ts';
import { formSwarm, leaveSwarm, line, runScenario, SCENARIOS, swarmLab, SYSTEMS, type SwarmResult } from './swarm.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    only: { type: 'string' },
    heartbeat: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const only = values.only?.split(',');
  const log = (m: string) => console.log(`  ${new Date().toISOString().slice(11, 23)} ${m}`);
  console.log(`bench/swarm/try-swarm: 3-node lab, Swarm service x3, ${rate} req/s for ${seconds} s per scenario`);
  const results: SwarmResult[] = [];
  let l: ReturnType<typeof swarmLab> | null = null;
  try {
    await labUp(3);
    l = swarmLab(await lab(), HOME);
    const c = await formSwarm(l, { log, dispatcherHeartbeat: values.heartbeat });
    for (const scenario of SCENARIOS) {
      for (const system of SYSTEMS) {
        if (only && !only.includes(`${system}:${scenario}`)) continue;
        results.push(await runScenario(c, system, scenario, { seconds, rate, log }));
      }
    }
  } finally {
    if (l) await leaveSwarm(l).catch((e) => console.error('leave swarm:', e));
    await labDown();
  }
  console.log('\nresults:');
  for (const r of results) console.log(line(r) + (r.note ? `  (${r.note})` : ''));
  console.log(
    JSON.stringify({
      bench: 'swarm',
      seconds,
      rate,
      results: results.map((r) => ({
        ...r,
        p50ms: +r.p50ms.toFixed(1),
        p99ms: +r.p99ms.toFixed(1),
        recoverS: Number.isNaN(r.recoverS) ? null : +r.recoverS.toFixed(2),
      })),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
