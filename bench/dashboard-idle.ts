/**
 * bench/dashboard-idle: the manager's CPU while nothing happens, without and with the web
 * dashboard open (Coolify's users report 40-100% idle CPU with theirs). Its own 3-node lab with
 * the two sample apps at 3 replicas each; the manager's CPU (its own and its waited-for
 * children's, e.g. varnishstat for the request counters) read from /proc over the same
 * window, first with no client, then with Debian's chromium (headless, playwright-core)
 * logged in on the overview, which polls the API.
 *
 *   npx tsx bench/dashboard-idle.ts [--seconds 60]     # as root
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { API, deploySpec, HOME, INGRESS, labDown, labUp, waitFor } from './lab-bench.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const SECONDS = Number(values.seconds);
const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds the process and its reaped children have used (utime, stime, cutime, cstime). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may hold spaces: fields are counted from after its closing parenthesis
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_S;
}

async function cpuPercentOver(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

await labUp(3);
let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
try {
  await deploySpec(
    'apps:\n  simplewebapp1:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n  simplewebapp2:\n    image: cloud/simplewebapp2\n    replicas: 3\n    port: 8080\n',
  );
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${INGRESS}/simplewebapp2/`)).status,
    (s) => s === 200,
  );
  const pid = Number(readFileSync(join(HOME, 'manager.pid'), 'utf8'));
  await new Promise((r) => setTimeout(r, 5000)); // the deploy's rollout and the parser's work behind it
  const alone = await cpuPercentOver(pid, SECONDS);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${API}/ui/`);
  await page.getByLabel('API token').fill(readFileSync(join(HOME, 'token'), 'utf8').trim());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('node3').first().waitFor({ timeout: 30_000 });
  let requests = 0;
  page.on('request', (r) => void (r.url().includes('/v1/') || r.url().endsWith('/metrics') ? requests++ : 0));
  const withDashboard = await cpuPercentOver(pid, SECONDS);

  console.log(`manager CPU over ${SECONDS} s, idle lab (3 nodes, 6 replicas), % of one core:`);
  console.log(`  no client:           ${alone.toFixed(2)}%`);
  console.log(`  dashboard open:      ${withDashboard.toFixed(2)}%  (${requests} API requests from the page, ${(requests / SECONDS).toFixed(1)}/s)`);
  console.log(`  ratio: ${(withDashboard / Math.max(alone, 0.01)).toFixed(2)}`);
  console.log(
    JSON.stringify({
      bench: 'dashboard-idle',
      seconds: SECONDS,
      managerCpuPercent: { alone: Number(alone.toFixed(2)), dashboard: Number(withDashboard.toFixed(2)) },
      pageRequests: requests,
    }),
  );
} finally {
  await browser?.close();
  await labDown();
}
