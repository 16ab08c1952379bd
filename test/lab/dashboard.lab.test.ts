/**
 * The dashboard against a running manager with a real lab: Debian's chromium (headless,
 * playwright-core) logs in with the manager's token, sees the nodes and the app's replicas
 * placed on them, scales the app through its dialog and sees the count change, then sees a
 * node switched off go down and its event appear. Screenshots go to test-artifacts/ (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUpArgs, matrixOk, newLabEnv, readToken, replicasOf, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('dashboard', 209);
const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts');
const poll = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout, interval: 200 });

let browser: Browser | undefined;
let page: Page | undefined;

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
  mkdirSync(env.home, { recursive: true });
  writeFileSync(join(env.home, 'matrix.yaml'), 'apps:\n  web:\n    image: cloud/simplewebapp1\n    replicas: 2\n    port: 8080\n');
  await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await labDown(env);
});

describe('the dashboard on a lab cluster', () => {
  it('logs in with the manager token and shows the nodes and where the replicas run', async () => {
    const p = page!;
    await p.goto(`http://127.0.0.1:${env.apiPort}/`); // redirected to /ui/
    await p.getByLabel('API token').fill(readToken(env));
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    const grid = p.getByRole('table');
    for (const n of ['node1', 'node2', 'node3']) await poll(() => grid.locator('thead').textContent()).toContain(n);
    await poll(() => grid.getByRole('row', { name: /web/ }).textContent()).toContain('2/2 running');
    await poll(() => p.locator('tbody .chip-serving').count()).toBe(2);
    await p.screenshot({ path: join(ARTIFACTS, 'lab-overview.png'), fullPage: true });
  });

  it('scales the app through its dialog, and the cluster and the page follow', async () => {
    const p = page!;
    await p.getByRole('table').getByRole('link', { name: 'web' }).click();
    await p.getByRole('heading', { name: 'web', level: 1 }).waitFor();
    await p.getByRole('spinbutton', { name: 'Replicas' }).fill('3');
    await p.getByRole('button', { name: 'Scale…' }).click();
    const dialog = p.getByRole('dialog', { name: 'Scale web' });
    await dialog.getByRole('button', { name: 'Scale to 3' }).click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('web scaled to 3');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // the real cluster: three replicas running on the lab's engines, and the page says so
    await poll(async () => (await replicasOf(env, 'web')).filter((r) => r.state === 'running').length, 60_000).toBe(3);
    await poll(() => p.locator('.subtitle').textContent(), 30_000).toContain('3/3 running');
    await p.screenshot({ path: join(ARTIFACTS, 'lab-app-scaled.png'), fullPage: true });
  });

  it('shows a node switched off as down, and its event', async () => {
    const p = page!;
    await p.goto(`http://127.0.0.1:${env.apiPort}/ui/#/`);
    await p.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    await matrixOk(env, ['lab', 'poweroff', 'node2']);
    const node2 = p.getByRole('table').locator('thead th', { hasText: 'node2' });
    await poll(() => node2.textContent(), 60_000).toMatch(/\bdown\b/);
    await poll(() => p.locator('.events li', { hasText: 'node-down' }).textContent(), 30_000).toContain('node2');
    await p.screenshot({ path: join(ARTIFACTS, 'lab-node-down.png'), fullPage: true });
  });
});
