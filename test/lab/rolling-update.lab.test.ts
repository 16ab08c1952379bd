/**
 * Zero-downtime updates in a real lab: a rolling update to a new image under load loses no
 * request; a revision that never passes its health check is rolled back automatically;
 * `matrix rollback` and `matrix app history` work on the real manager.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, labDown, labUpArgs, matrix, matrixOk, newLabEnv, readToken, until, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('rolling', 215);

// one project across v1.yaml, v2.yaml and bad.yaml: each deploy updates the same app
const spec = (image: string, extra = '') => `name: rolling
apps:
  web:
    image: ${image}
    replicas: 3
    port: 8080
    health: { path: ${extra ? '/does-not-exist' : '/'}, interval: 1s, timeout: 1s }
    update: { parallelism: 1, order: start-first, drain: 1s, monitor: ${extra ? '4s' : '30s'} }
`;

interface Row {
  app: string;
  state: string;
  desired: boolean;
  revision: string;
}
interface AppView {
  app: { image: string };
  rollbacks: { toImage: string }[];
}

async function call<T>(path: string): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${env.apiPort}${path}`, { headers: { authorization: `Bearer ${readToken(env)}` } });
  return (await r.json()) as T;
}
const web = async () => (await call<{ replicas: Row[] }>('/v1/replicas')).replicas.filter((r) => r.app === 'web');
const settled = (rows: Row[]) => rows.length === 3 && rows.every((r) => r.desired && r.state === 'running');

function specFile(name: string, text: string): string {
  mkdirSync(env.home, { recursive: true });
  const f = join(env.home, name);
  writeFileSync(f, text);
  return f;
}

function deploy(name: string, text: string): Promise<string> {
  return matrixOk(env, ['deploy', specFile(name, text)]);
}

/** GETs the app at a steady pace until `stop` resolves; returns every status (and in `answers`, when each was sent and which image answered). */
async function loadUntil(stop: Promise<unknown>, answers: { at: number; app: string }[] = []): Promise<number[]> {
  let done = false;
  void stop.then(() => (done = true));
  const statuses: number[] = [];
  while (!done) {
    const at = Date.now();
    const a = await get(env.ingressPort, '/web/');
    statuses.push(a.status);
    answers.push({ at, app: /app=([a-z0-9-]+)/.exec(a.body)?.[1] ?? '' });
    await new Promise((r) => setTimeout(r, 20));
  }
  return statuses;
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
  await deploy('v1.yaml', spec('cloud/simplewebapp1'));
  await until(web, settled, 120);
  await until(
    () => get(env.ingressPort, '/web/'),
    (a) => a.status === 200 && a.body.includes('app=simplewebapp1'),
  );
});

afterAll(async () => {
  await labDown(env);
});

describe('rolling updates in a real lab', () => {
  it('replaces every replica with the new image and loses no request', async () => {
    let out = '';
    let doneAt = Infinity;
    const rolled = (async () => {
      out = await deploy('v2.yaml', spec('cloud/simplewebapp2')); // follows the rollout to its end
      doneAt = Date.now();
      await until(web, settled, 240);
      await new Promise((r) => setTimeout(r, 1000));
    })();
    const answers: { at: number; app: string }[] = [];
    const statuses = await loadUntil(rolled, answers);
    await rolled;
    // once the command says done, the old image never answers again
    const after = answers.filter((a) => a.at > doneAt);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((a) => a.app !== 'simplewebapp2')).toEqual([]);
    expect(out).toMatch(/^rolling update: web \d\/3 on the new revision$/m);
    expect(out).toMatch(/^rollout complete$/m);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const bodies = await Promise.all(Array.from({ length: 6 }, () => get(env.ingressPort, '/web/')));
    expect(bodies.every((b) => b.body.includes('app=simplewebapp2'))).toBe(true);
  });

  it('rolls a revision that never gets healthy back, automatically, without an outage', async () => {
    let result = { code: 0, stdout: '', stderr: '' };
    const rolledBack = (async () => {
      result = await matrix(env, ['deploy', specFile('bad.yaml', spec('cloud/simplewebapp1', 'bad'))]);
      await until(
        () => call<AppView>('/v1/apps/web'),
        (a) => a.rollbacks.length > 0,
        240,
      );
      await until(web, settled, 240);
    })();
    const statuses = await loadUntil(rolledBack);
    await rolledBack;
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error\[E_DEPLOY_FAILED\]: the update of web failed its health checks and was rolled back/);
    const app = await call<AppView>('/v1/apps/web');
    expect(app.app.image).toBe('cloud/simplewebapp2');
    expect(app.rollbacks.at(-1)!.toImage).toBe('cloud/simplewebapp2');
    const inspect = await matrixOk(env, ['app', 'inspect', 'web']);
    expect(inspect).toMatch(/rolled back at .*: cloud\/simplewebapp1 -> cloud\/simplewebapp2: new replica web\.\d not healthy after 4s/);
  });

  it('lists the revisions and rolls back on request', async () => {
    const history = await matrixOk(env, ['app', 'history', 'web']);
    const images = history
      .split('\n')
      .slice(1)
      .map((l) => /cloud\/simplewebapp\d/.exec(l)?.[0])
      .filter(Boolean);
    expect(images.slice(0, 3)).toEqual(['cloud/simplewebapp2', 'cloud/simplewebapp1', 'cloud/simplewebapp2']);
    const out = await matrixOk(env, ['rollback', 'web']);
    expect(out).toMatch(/rolling web back: cloud\/simplewebapp2 -> cloud\/simplewebapp1/);
    await until(web, settled, 240);
    const a = await until(
      () => get(env.ingressPort, '/web/'),
      (x) => x.body.includes('app=simplewebapp1'),
      120,
    );
    expect(a.status).toBe(200);
  });
});
