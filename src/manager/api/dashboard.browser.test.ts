/**
 * The dashboard in a real browser (Debian's chromium through playwright-core, headless)
 * against the real API in this process: a SQLite store, the real control loop, desired-state
 * service and ingress consumer, over three simulated nodes (the sim driver), so replicas run,
 * move and serve; their engines answer fixed container stats, so GET /v1/stats measures known
 * usage. It logs in, reads the cluster and its usage, opens an app, scales it, drains a node
 * and deploys a spec through the UI, checking that each request reaches the API; checks how
 * often the page polls (and /v1/stats, which is dear, at most every 15 s); runs axe-core (no
 * serious or critical violation); and saves screenshots under test-artifacts/.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRevision } from '../../core/app-revision.ts';
import type { NodeInfo } from '../../core/model.ts';
import type { EngineContainerStats } from '../../core/stats.ts';
import { Serial } from '../../util/serial.ts';
import { ConsumerRunner } from '../controllers/consumers.ts';
import { ControlLoop } from '../controllers/control-loop.ts';
import { DesiredState } from '../controllers/desired-state.ts';
import { EventLog } from '../controllers/event-log.ts';
import { SimCluster } from '../drivers/sim/sim-cluster.ts';
import { ingressConsumer } from '../ingress/ingress-consumer.ts';
import { ClusterMetrics } from '../metrics/metrics.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { Vault } from '../secrets/vault.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { hashToken, newToken } from './auth.ts';
import { buildApi } from './server.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const ARTIFACTS = join(REPO, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = newToken();
const REGISTRY = 'reg.sim:5000';
const SPEC = `apps:
  web:
    image: cloud/simplewebapp1
    replicas: 3
    port: 8080
    resources: { cpus: 0.5, memory: 256M }
  api:
    image: cloud/simplewebapp2
    replicas: 2
    port: 8080
    resources: { cpus: 0.25, memory: 128M }
    env: { VERSION: "1" }
`;

const MiB = 1024 * 1024;
/**
 * What every simulated container answers for its stats, as Docker shapes them: 5e7 ns of CPU
 * over 1e9 ns of host time with 4 CPUs online is 20% of one CPU; 120 MiB of which 20 MiB page
 * cache is 100 MiB used. A node with k containers (4 CPUs, 4 GiB) uses 5k% of its CPUs and k × 100 MiB.
 */
const CONTAINER_STATS: EngineContainerStats = {
  cpu_stats: { cpu_usage: { total_usage: 250_000_000 }, system_cpu_usage: 5_000_000_000, online_cpus: 4 },
  precpu_stats: { cpu_usage: { total_usage: 200_000_000 }, system_cpu_usage: 4_000_000_000 },
  memory_stats: { usage: 120 * MiB, stats: { inactive_file: 20 * MiB } },
};
const DISK_BYTES = 3.5 * 1024 * MiB;
/** What the page should show for k containers, as format.ts writes it. */
const usageText = (k: number) => ({ cpu: `${(5 * k).toFixed(1)}%`, mem: k ? `${k * 100} MiB` : '0 B', appCpu: `${(20 * k).toFixed(1)}%` });

interface Seen {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

let browser: Browser | undefined;
let page: Page | undefined;
let api: ReturnType<typeof buildApi> | undefined;
let loop: ControlLoop | undefined;
let store: SqliteStore | undefined;
let base = '';
const seen: Seen[] = [];
const pageErrors: string[] = [];

const running = () => loop!.snapshot().replicas.filter((r) => r.state === 'running');

/** Waits for the page: the poller reads every 5 s, at once after an action. */
const poll = <T>(fn: () => Promise<T> | T, o: { timeout?: number } = {}) => expect.poll(fn, { timeout: o.timeout ?? 10_000, interval: 100 });

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** axe-core in the page (evaluated, as the page's CSP refuses injected scripts), then the violations that are serious or critical. */
async function axeProblems(p: Page): Promise<string[]> {
  const axe = readFileSync(join(REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await p.evaluate(axe);
  const violations = await p.evaluate(async () => {
    const w = window as unknown as {
      axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> };
    };
    return (await w.axe.run(document)).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (scripts/install-deps.sh does) or set CHROMIUM_PATH`);
  execFileSync(process.execPath, [join(REPO, 'scripts', 'bundle-web.mjs'), '--if-stale', '--quiet'], { cwd: REPO, stdio: 'inherit' });
  mkdirSync(ARTIFACTS, { recursive: true });

  const log = pino({ level: 'silent' });
  store = new SqliteStore(':memory:');
  const vault = new Vault(store, SecretBox.fromKey(randomBytes(32)));
  const sim = new SimCluster(vault.read);
  for (const name of ['n1', 'n2', 'n3']) store.upsertNode(sim.add({ name, capacity: { cpus: 4, memoryMb: 4096 } }));
  const events = new EventLog(1000, Date.now, store);
  const lock = new Serial();
  const ingress = ingressConsumer({ apply: async () => true }, {}, log);
  // the sim engines, plus what a Docker engine answers for usage (a simulated node measures none)
  const simEngine = sim.engines();
  const engines = (node: NodeInfo): NodeEngine => {
    const e = simEngine(node);
    const extra: Pick<NodeEngine, 'containerStats' | 'diskBytes'> = { containerStats: async () => CONTAINER_STATS, diskBytes: async () => DISK_BYTES };
    return new Proxy(e, {
      get: (t, k) => {
        if (k in extra) return extra[k as keyof typeof extra];
        const v: unknown = Reflect.get(t, k, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  };
  loop = new ControlLoop({
    store,
    engines,
    probe: sim.probe(),
    consumers: [new ConsumerRunner(ingress, log, events)],
    events,
    log,
    registry: REGISTRY,
    desiredLock: lock,
  });
  // Varnish's backend counters, as if web were fetched 50 times between two scrapes
  let fetched = 0;
  const metrics = new ClusterMetrics({
    nodes: () => loop!.snapshot().nodes,
    apps: () => (store!.currentDeployment()?.apps ?? []).map((a) => ({ name: a.name, desired: a.replicas, running: 0, serving: 0 })),
    backends: async () => ({ counters: new Map([['boot.web_0', { req: (fetched += 50), fail: 0 }]]), appOf: (b) => (b === 'web_0' ? 'web' : undefined) }),
  });
  events.onEvent((e) => metrics.event(e));
  const desired = new DesiredState(store, loop, { manifestExists: async () => true }, REGISTRY, lock, { vault, events });
  loop.start(200);
  await desired.deploy({ file: 'shop.yaml', source: SPEC, dryRun: false });
  // a second revision of api, so its page has a history
  await desired.deploy({ file: 'shop.yaml', source: SPEC.replace('VERSION: "1"', 'VERSION: "2"'), dryRun: false });
  // and the second revision of api rolled out (no old replica still running: usage counts every running container)
  const current = (app: string) => appRevision(store!.currentDeployment()!.apps.find((a) => a.name === app)!);
  await until('5 replicas running at the current revisions', () => running().length === 5 && running().every((r) => r.revision === current(r.app)));

  // the ingress's counters for GET /v1/stats: web fetched 20 times a second, whoever reads them
  api = buildApi({
    tokenHash: hashToken(TOKEN),
    store,
    loop,
    desired,
    log,
    pushSampleImages: async () => [],
    info: () => ({}),
    metrics: () => metrics.scrape(),
    requestTotals: async () => new Map([['web', { req: Math.floor(Date.now() / 50), fail: 0 }]]),
  });
  api.addHook('onResponse', async (req, reply) => {
    seen.push({ method: req.method, url: req.url, status: reply.statusCode, body: req.body });
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // a refused token answers 401, which the browser logs: that one is expected
    if (m.type() === 'error' && !/401 \(Unauthorized\)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  loop?.stop();
  store?.close();
}, 30_000);

describe('the dashboard in chromium', { timeout: 60_000 }, () => {
  it('refuses a wrong token with the API error, then logs in with the right one', async () => {
    const p = page!;
    await p.goto(`${base}/`);
    expect(p.url()).toBe(`${base}/ui/`);
    await p.getByLabel('API token').fill('not-the-token');
    await p.getByRole('button', { name: 'Log in' }).click();
    await poll(() => p.getByRole('alert').textContent()).toContain('error[E_AUTH]');
    expect(seen.some((s) => s.url === '/v1/status' && s.status === 401)).toBe(true);

    await p.getByLabel('API token').fill(TOKEN);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    // every API call carries the token
    const auth = await p.evaluate(() => sessionStorage.getItem('cloudmatrix.token'));
    expect(auth).toBe(TOKEN);
  });

  it('shows the nodes as columns and the apps with their replicas, and live charts', async () => {
    const p = page!;
    const grid = p.getByRole('table');
    for (const n of ['n1', 'n2', 'n3']) await poll(() => grid.locator('thead').textContent()).toContain(n);
    await poll(() => grid.getByRole('link', { name: 'web' }).count()).toBe(1);
    await poll(() => grid.getByRole('row', { name: /web/ }).textContent()).toContain('3/3 running');
    await poll(() => grid.getByRole('row', { name: /api/ }).textContent()).toContain('2/2 running');
    // one chip per replica, coloured by state: 5 running, routed by the ingress
    await poll(() => p.locator('tbody .chip').count()).toBe(5);
    await poll(() => p.locator('tbody .chip-serving').count()).toBe(5);
    // the capacity the replicas reserve, per node, labelled apart from what is used
    expect(await grid.locator('thead').textContent()).toMatch(/reserved CPU [\d.]+\/4 · mem [\d.]+ (MiB|GiB)\/4 GiB/);
    // measured usage from GET /v1/stats: the fixed container stats times the node's containers, over its 4 CPUs and 4 GiB
    for (const n of ['n1', 'n2', 'n3']) {
      const u = usageText(running().filter((r) => r.node === n).length);
      const head = p.locator('.node-head', { has: p.locator('.node-name', { hasText: new RegExp(`^${n}$`) }) });
      await poll(() => head.textContent()).toContain(`CPU used ${u.cpu}`);
      expect(await head.textContent()).toContain(`mem used ${u.mem}/4 GiB`);
      expect(await head.textContent()).toContain('disk 3.5 GiB');
      // and the usage charts' legends read the same
      await poll(() => p.getByRole('figure', { name: /CPU per node/ }).textContent()).toContain(`${n}: ${u.cpu.replace('%', ' %')}`);
      expect(await p.getByRole('figure', { name: /Memory per node/ }).textContent()).toContain(`${n}: ${u.mem === '0 B' ? '0' : u.mem}`);
    }
    expect(seen.some((s) => s.url === '/v1/stats' && s.status === 200)).toBe(true);
    // requests per second from /metrics' counters: 50 fetches between two reads 5 s apart
    const requests = p.getByRole('figure', { name: /Requests per second/ });
    await poll(() => requests.textContent()).toMatch(/web: \d+(\.\d)? req\/s/);
    expect(Number(/web: ([\d.]+)/.exec((await requests.textContent())!)![1])).toBeGreaterThan(0);
    // replicas, running per app, requests; CPU and memory per node
    await poll(() => p.locator('.chart canvas').count()).toBe(5);
    await poll(() => p.locator('.events li').count()).toBeGreaterThan(0);
    expect(seen.some((s) => s.url.startsWith('/v1/events?') && s.url.includes('limit='))).toBe(true);
    expect(seen.some((s) => s.url === '/metrics' && s.status === 200)).toBe(true);
    expect(await axeProblems(p)).toEqual([]);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
  });

  it('opens an app page with its replicas, revisions and events', async () => {
    const p = page!;
    await p.getByRole('table').getByRole('link', { name: 'api' }).click();
    await p.getByRole('heading', { name: 'api', level: 1 }).waitFor();
    expect(p.url()).toContain('#/apps/api');
    const replicas = p.getByRole('region', { name: 'Replica list' });
    await poll(() => replicas.locator('tbody tr').count()).toBe(2);
    const revisions = p.getByRole('region', { name: 'Revision list' });
    await poll(() => revisions.locator('tbody tr').count()).toBe(2);
    expect(await revisions.textContent()).toContain('current');
    await poll(() => p.locator('section', { hasText: 'Logs' }).textContent()).toMatch(/No log lines yet|Logs unavailable|api\./);
    await poll(() => p.locator('.events li').count()).toBeGreaterThan(0);
    // its usage from GET /v1/stats: two replicas' fixed stats, summed
    const u = usageText(running().filter((r) => r.app === 'api').length);
    const usage = p.locator('dl.summary');
    await poll(() => usage.textContent()).toContain(`CPU (% of one CPU)${u.appCpu}`);
    expect(await usage.textContent()).toContain(`Memory${u.mem}`);
    expect(await axeProblems(p)).toEqual([]);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-desktop-app.png'), fullPage: true });
  });

  it('scales an app through a confirmation dialog, and the request reaches the API', async () => {
    const p = page!;
    await p.goto(`${base}/ui/#/apps/web`);
    await p.getByRole('heading', { name: 'web', level: 1 }).waitFor();
    await p.getByRole('spinbutton', { name: 'Replicas' }).fill('5');
    const scale = p.getByRole('button', { name: 'Scale…' });
    await scale.click();
    const dialog = p.getByRole('dialog', { name: 'Scale web' });
    await dialog.waitFor();
    // the dry run comes first, and its plan is shown
    await poll(() => dialog.textContent()).toContain('Dry run');
    expect(seen.some((s) => s.method === 'POST' && s.url === '/v1/apps/web/scale' && JSON.stringify(s.body) === '{"replicas":5,"dryRun":true}')).toBe(true);
    expect(seen.some((s) => s.method === 'POST' && s.url === '/v1/apps/web/scale' && (s.body as { dryRun: boolean }).dryRun === false)).toBe(false);
    // focus is inside the dialog; the axe scan covers the open dialog too
    expect(await p.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    expect(await axeProblems(p)).toEqual([]);
    await dialog.getByRole('button', { name: 'Scale to 5' }).click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('web scaled to 5');
    expect(
      seen.some((s) => s.method === 'POST' && s.url === '/v1/apps/web/scale' && JSON.stringify(s.body) === '{"replicas":5,"dryRun":false}' && s.status === 200),
    ).toBe(true);
    expect(store!.currentDeployment()!.apps.find((a) => a.name === 'web')!.replicas).toBe(5);
    // Escape closes it and gives the focus back to the button that opened it
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Scale…');
    await poll(() => p.locator('.subtitle').textContent(), { timeout: 15_000 }).toContain('5/5 running');
  });

  it('drains a node: the PUT reaches the API and its replicas move away', async () => {
    const p = page!;
    await p.goto(`${base}/ui/#/`);
    await p.getByRole('button', { name: 'Drain n3…' }).click();
    const dialog = p.getByRole('dialog', { name: 'Drain n3' });
    await dialog.getByRole('button', { name: 'Drain n3' }).click();
    await poll(() => dialog.getByRole('status').textContent(), { timeout: 20_000 }).toContain('n3 is drained');
    const put = seen.find((s) => s.method === 'PUT' && s.url === '/v1/nodes/n3');
    expect(put?.body).toMatchObject({ availability: 'drain', address: expect.any(String), enginePort: 2376 });
    expect(running().filter((r) => r.node === 'n3')).toEqual([]);
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await poll(() => p.getByRole('table').locator('thead').textContent()).toContain('drained');
  });

  it('deploys a spec after showing its dry run', async () => {
    const p = page!;
    await p.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = p.getByRole('dialog', { name: 'Deploy a spec' });
    await dialog
      .getByLabel('Spec (matrix.yaml, compose file or plan file)')
      .fill('apps:\n  docs:\n    image: cloud/simplewebapp1\n    replicas: 1\n    port: 8080\n');
    await dialog.getByLabel('File name').fill('docs.yaml');
    const deploy = dialog.getByRole('button', { name: 'Deploy', exact: true });
    expect(await deploy.isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Check (dry run)' }).click();
    await poll(() => dialog.textContent()).toContain('add docs');
    expect(store!.currentDeployment()!.apps.some((a) => a.name === 'docs')).toBe(false);
    await deploy.click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('deployed generation');
    expect(seen.filter((s) => s.url === '/v1/deploy').map((s) => (s.body as { dryRun: boolean; file: string }).dryRun)).toEqual([true, false]);
    expect(store!.currentDeployment()!.apps.some((a) => a.name === 'docs')).toBe(true);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await poll(() => p.getByRole('table').getByRole('link', { name: 'docs' }).count()).toBe(1);
  });

  it('fits a phone screen, passes axe there, and logs out', async () => {
    const p = page!;
    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(`${base}/ui/#/`);
    await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    await poll(() => p.locator('tbody .chip').count()).toBeGreaterThan(0);
    // the page itself never scrolls sideways: the grid does, inside its region
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeProblems(p)).toEqual([]);
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await p.goto(`${base}/ui/#/apps/web`);
    await p.getByRole('heading', { name: 'web', level: 1 }).waitFor();
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard-phone-app.png'), fullPage: true });
    await p.getByRole('button', { name: 'Log out' }).click();
    await p.getByLabel('API token').waitFor();
    expect(await p.evaluate(() => sessionStorage.getItem('cloudmatrix.token'))).toBeNull();
    // nothing the page did broke its CSP or threw
    expect(pageErrors).toEqual([]);
  });
  it('reads every 5 s with one timer, /v1/stats every third read only, and nothing while the tab is hidden', async () => {
    // a tab of its own, with a clock the test moves (time otherwise flows as usual)
    const ctx = await browser!.newContext();
    try {
      await ctx.clock.install();
      const p = await ctx.newPage();
      let statusReads = 0; // this tab's, whatever the others do
      p.on('requestfinished', (r) => {
        if (new URL(r.url()).pathname === '/v1/status') statusReads++;
      });
      // each stats request: the status reads before it, and how many were under way with it
      const statsAt: number[] = [];
      let statsOpen = 0;
      let statsMostOpen = 0;
      const isStats = (r: { url: () => string }) => new URL(r.url()).pathname === '/v1/stats';
      p.on('request', (r) => {
        if (!isStats(r)) return;
        statsAt.push(statusReads);
        statsMostOpen = Math.max(statsMostOpen, ++statsOpen);
      });
      const closed = (r: { url: () => string }) => {
        if (isStats(r)) statsOpen--;
      };
      p.on('requestfinished', closed);
      p.on('requestfailed', closed);
      await p.goto(`${base}/ui/`);
      await p.getByLabel('API token').fill(TOKEN);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
      const reads = () => statusReads;
      await poll(() => p.locator('.fresh').textContent()).toContain('updated');
      const first = reads();
      await p.clock.fastForward(5_000);
      await poll(reads).toBe(first + 1);
      // 45 s more of the page's clock, 5 s at a time (each stats read, a second on the manager, done before the next step, as in 15 s of real time)
      await poll(() => statsOpen).toBe(0);
      expect(statsAt).toHaveLength(1); // at once, with the first read
      for (let i = 0; i < 9; i++) {
        await p.clock.fastForward(5_000);
        await poll(reads).toBe(first + 2 + i);
        await poll(() => statsOpen).toBe(0);
      }
      // 50 s after the first read, 11 reads: /v1/stats with the first and every third after it, never two at once
      expect(statsAt).toHaveLength(4);
      expect(statsAt.slice(1).map((at, i) => at - statsAt[i]!)).toEqual([3, 3, 3]);
      expect(statsMostOpen).toBe(1);
      const setVisibility = (state: 'hidden' | 'visible') =>
        p.evaluate((v) => {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
          document.dispatchEvent(new Event('visibilitychange'));
        }, state);
      await setVisibility('hidden');
      await p.clock.fastForward(5_000); // the pending read finds the tab hidden: no request, no next timer
      await poll(() => p.locator('.fresh').textContent()).toContain('paused');
      const hidden = reads();
      const statsHidden = statsAt.length;
      await p.clock.fastForward(60_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(reads()).toBe(hidden);
      expect(statsAt).toHaveLength(statsHidden);
      await setVisibility('visible'); // shown again: a read at once, and (over 15 s since the last) stats with it
      await poll(reads).toBe(hidden + 1);
      await poll(() => statsAt.length).toBe(statsHidden + 1);
      await poll(() => p.locator('.fresh').textContent()).toContain('updated');
    } finally {
      await ctx.close();
    }
  });

  it('stops asking /v1/stats after a 404 (an older manager) and says so quietly', async () => {
    const ctx = await browser!.newContext();
    try {
      await ctx.clock.install();
      let statsAsked = 0;
      await ctx.route('**/v1/stats', (r) => {
        statsAsked++;
        return r.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'E_NOT_FOUND', message: 'Route GET:/v1/stats not found' } }),
        });
      });
      const p = await ctx.newPage();
      let statusReads = 0;
      p.on('requestfinished', (r) => {
        if (new URL(r.url()).pathname === '/v1/status') statusReads++;
      });
      await p.goto(`${base}/ui/`);
      await p.getByLabel('API token').fill(TOKEN);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
      await poll(() => p.getByRole('figure', { name: 'CPU and memory per node' }).textContent()).toContain('does not measure usage');
      expect(statsAsked).toBe(1);
      // the grid keeps what the replicas reserve, without the measured lines
      const head = await p.locator('thead').textContent();
      expect(head).toMatch(/reserved CPU/);
      expect(head).not.toContain('CPU used');
      const before = statusReads;
      for (let i = 1; i <= 4; i++) {
        await p.clock.fastForward(5_000);
        await poll(() => statusReads).toBe(before + i);
      }
      // the other charts go on: replicas, running per app, requests (a rate once there are two reads)
      await poll(() => p.locator('.chart canvas').count()).toBe(3);
      // on an app page too
      await p.getByRole('table').getByRole('link', { name: 'web' }).click();
      await p.getByRole('heading', { name: 'web', level: 1 }).waitFor();
      await poll(() => p.locator('.subtitle').count()).toBe(1);
      expect(await p.locator('dl.summary').count()).toBe(0);
      expect(statsAsked).toBe(1);
    } finally {
      await ctx.close();
    }
  });
});
