/**
 * Named volumes in a real lab: a counter kept in a volume counts each start of its container
 * and survives a redeploy, a rolling update (stop-first: one writer at a time) and a manager
 * restart; the replica stays with its data when its node is switched off and comes back there;
 * `matrix volume ls|inspect|rm` (rm refused while mounted).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, labDown, labUpArgs, matrix, matrixOk, newLabEnv, replicasOf, until, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('volumes', 211);

/** Each start of the container adds one to /data/count and serves it. */
const COUNTER = (version: string) => `apps:
  counter:
    image: cloud/simplewebapp1
    replicas: 1
    port: 8080
    volumes: [ "data:/data" ]
    env: { VERSION: "${version}" }
    entrypoint: [/bin/sh, -c]
    command:
      - |
        n=$(cat /data/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > /data/count
        mkdir -p /www/counter && echo "count=$n version=$VERSION node=$MATRIX_NODE" > /www/index.html && cp /www/index.html /www/counter/
        exec httpd -f -p 8080 -h /www
`;

function file(name: string, text: string): string {
  const f = join(env.home, name);
  writeFileSync(f, text);
  return f;
}

/** The counter's page once it says `version`. */
async function page(version: string): Promise<string> {
  const a = await until(
    () => get(env.ingressPort, '/counter/'),
    (x) => x.status === 200 && x.body.includes(`version=${version}`),
    240,
    250,
  );
  expect(a.body).toContain(`version=${version}`);
  return a.body.trim();
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 2));
  await matrixOk(env, ['images', 'sample']);
});

afterAll(async () => {
  await labDown(env);
});

describe('named volumes', () => {
  it('the data survives a redeploy, a rolling update and a manager restart, and stays on its node when that node is off', async () => {
    await matrixOk(env, ['deploy', file('counter.yaml', COUNTER('1'))]);
    const first = await page('1');
    expect(first).toMatch(/^count=1 version=1 node=node\d$/);
    const node = first.split('node=')[1]!;

    // the same file again: nothing changes
    await matrixOk(env, ['deploy', file('counter.yaml', COUNTER('1'))]);
    expect(await page('1')).toBe(first);

    // a new revision: the new container finds the old one's data
    await matrixOk(env, ['deploy', file('counter.yaml', COUNTER('2'))]);
    expect(await page('2')).toBe(`count=2 version=2 node=${node}`);

    // the manager restarts, then rolls again: the data is still there
    expect((await matrix(env, ['manager', 'stop'])).code).toBe(0);
    await matrixOk(env, ['manager', 'start']);
    await matrixOk(env, ['deploy', file('counter.yaml', COUNTER('3'))]);
    expect(await page('3')).toBe(`count=3 version=3 node=${node}`);

    // its node goes off: the replica is not started elsewhere (its data is there); it says why
    await matrixOk(env, ['lab', 'poweroff', node]);
    try {
      const inspect = await until(
        () => matrixOk(env, ['app', 'inspect', 'counter']),
        (out) => out.includes(`unplaced: counter.0: stays with its data: volume data on ${node} (down)`),
        120,
        500,
      );
      expect(inspect).toContain(`volume data on ${node} (down)`);
      expect((await replicasOf(env, 'counter')).filter((r) => r.state === 'running')).toEqual([]);
    } finally {
      await matrixOk(env, ['lab', 'poweron', node]);
    }
    // back on its node with its data: one more start counted
    const back = await until(
      () => get(env.ingressPort, '/counter/'),
      (x) => x.status === 200 && /count=[4-9]/.test(x.body),
      240,
      500,
    );
    expect(back.body.trim()).toMatch(new RegExp(`^count=[4-9] version=3 node=${node}$`));
  });

  it('volume ls shows it where it is and who mounts it; rm is refused while mounted, and works once the app is gone', async () => {
    const ls = await matrixOk(env, ['volume', 'ls']);
    expect(ls).toMatch(/node\d\s+mx\.counter\.0\.data\s+counter\s+counter\.0\s+data\s+mx\.counter\.0\./);
    const inspect = JSON.parse(await matrixOk(env, ['volume', 'inspect', 'mx.counter.0.data'])) as { node: string; usedBy: string[] };
    expect(inspect.usedBy).toHaveLength(1);
    const refused = await matrix(env, ['volume', 'rm', 'mx.counter.0.data']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/error\[E_VOLUME_IN_USE\]: name: mx\.counter\.0\.data on node\d is mounted by mx\.counter\.0\./);
    await matrixOk(env, ['rm', 'counter']);
    // the app is gone, its volume is not: data is deleted only when asked
    await until(
      async () => JSON.parse(await matrixOk(env, ['volume', 'inspect', 'mx.counter.0.data'])) as { usedBy: string[] },
      (v) => v.usedBy.length === 0,
      120,
      500,
    );
    expect(await matrixOk(env, ['volume', 'rm', 'mx.counter.0.data'])).toContain(`removed mx.counter.0.data on ${inspect.node}`);
    expect(await matrixOk(env, ['volume', 'ls'])).not.toContain('mx.counter.0.data');
    const gone = await matrix(env, ['volume', 'rm', 'mx.counter.0.data']);
    expect(gone.stderr).toMatch(/error\[E_NOT_FOUND\]/);
  });

  it('two apps naming one volume is refused with the path of the field, and nothing is deployed', async () => {
    const two = `apps:\n  a:\n    image: cloud/simplewebapp1\n    port: 8080\n    volumes: [ "shared:/d" ]\n  b:\n    image: cloud/simplewebapp2\n    port: 8080\n    volumes: [ "shared:/d" ]\n`;
    const r = await matrix(env, ['deploy', file('two.yaml', two)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('apps.b.volumes[0]');
    expect(r.stderr).toContain('E_SPEC_INVALID');
    expect(await matrixOk(env, ['apps'])).not.toMatch(/^a\s/m);
  });
});
