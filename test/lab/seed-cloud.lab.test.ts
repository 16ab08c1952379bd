/**
 * The seed's private cloud, end to end, in a real lab: 3 dockerd nodes in network
 * namespaces with mTLS, the registry, Varnish, the sample apps, and a node switched off.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createLeaf } from '../../src/manager/pki/certs.ts';
import { curlIn, dockerOn, get, labDown, labUpArgs, matrix, matrixOk, newLabEnv, nodeOf, until, whileLoaded, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('seed', 212);
const node = (i: number) => `10.212.0.${10 + i}`;
const plans = mkdtempSync(join(tmpdir(), 'mx-plans-'));
function plan(name: string, text: string): string {
  const p = join(plans, name);
  writeFileSync(p, text);
  return p;
}

const SEED_PLAN = `#app name     node      ext. port   int. port
simplewebapp1 node1     5050        8080
simplewebapp1 node2     5050        8080
simplewebapp2 node2\t5051\t8080
simplewebapp2 node3     5051        8080   # trailing comment
`;

async function ps(): Promise<string[]> {
  const out = await matrixOk(env, ['ps']);
  return out.split('\n').filter((l) => /^simplewebapp/.test(l));
}

function ping(host: string, tls: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((res) => {
    const req = https.get({ host, port: 2376, path: '/_ping', ...tls, timeout: 5000, agent: false }, (r) => {
      let b = '';
      r.on('data', (c) => (b += c));
      r.on('end', () => res(`${r.statusCode} ${b}`));
    });
    req.on('error', (e) => res(`refused: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  const up = await matrixOk(env, labUpArgs(env, 3));
  expect(up).toMatch(/node3\s+10\.212\.0\.13:2376\s+answering/);
});

afterAll(async () => {
  await labDown(env);
  rmSync(plans, { recursive: true, force: true });
});

describe('the seed cloud in a real lab', () => {
  it('lab up is idempotent and reports the existing lab', async () => {
    const again = await matrixOk(env, labUpArgs(env, 3));
    expect(again).toMatch(/lab exists/);
    const status = await matrixOk(env, ['lab', 'status']);
    expect(status.match(/answering/g)?.length).toBe(3);
  });

  it('node engines accept only clients with a certificate from the cluster CA', async () => {
    const pki = join(env.home, 'pki');
    const ca = readFileSync(join(pki, 'ca.pem'), 'utf8');
    const cert = readFileSync(join(pki, 'clients/manager/cert.pem'), 'utf8');
    const key = readFileSync(join(pki, 'clients/manager/key.pem'), 'utf8');
    expect(await ping(node(1), { ca, cert, key })).toBe('200 OK');
    expect(await ping(node(1), { ca })).toMatch(/^refused|^[45]\d\d/);
    const rogueCa = await createCa('rogue CA');
    const rogue = await createLeaf(rogueCa, { commonName: 'intruder', kind: 'client' });
    expect(await ping(node(1), { ca, cert: rogue.certPem, key: rogue.keyPem })).toMatch(/^refused/);
  });

  it('the API needs the token', async () => {
    const r = await fetch(`http://127.0.0.1:${env.apiPort}/v1/nodes`);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('E_AUTH');
  });

  it('the registry lets in only clients with a certificate from the cluster CA, even from a node', async () => {
    const pki = join(env.home, 'pki');
    const fromNode = (extra: string[]) =>
      curlIn('/var/run/netns/mxe-node1', ['--cacert', join(pki, 'ca.pem'), ...extra, 'https://10.212.0.1:5000/v2/_catalog']);
    expect(fromNode([])).toMatch(/^refused/);
    const rogue = join(plans, 'rogue');
    mkdirSync(rogue);
    const rogueCa = await createCa('rogue CA');
    const intruder = await createLeaf(rogueCa, { commonName: 'intruder', kind: 'client' });
    writeFileSync(join(rogue, 'c.pem'), intruder.certPem);
    writeFileSync(join(rogue, 'k.pem'), intruder.keyPem);
    expect(fromNode(['--cert', join(rogue, 'c.pem'), '--key', join(rogue, 'k.pem')])).toMatch(/^refused/);
    // the same request with the manager's certificate gets in: it is the certificate, not the route
    expect(fromNode(['--cert', join(pki, 'clients/manager/cert.pem'), '--key', join(pki, 'clients/manager/key.pem')])).toBe('200');
  });

  it('pushes the sample images to the cluster registry', async () => {
    const out = await matrixOk(env, ['images', 'sample']);
    expect(out).toContain('10.212.0.1:5000/cloud/simplewebapp1:latest');
    expect(out).toContain('10.212.0.1:5000/cloud/simplewebapp2:latest');
  });

  it('rejects bad plans with a code and the line, and deploys nothing', async () => {
    const cases: [string, RegExp][] = [
      ['simplewebapp1 node1 5050 8080\nsimplewebapp1 node9 5050 8080\n', /error\[E_UNKNOWN_NODE\]: bad\.plan:2: .*node9/],
      ['simplewebapp1 node1 5050\n', /error\[E_PLAN_SYNTAX\]: bad\.plan:1: /],
      ['simplewebapp1 node1 5050 8080\nsimplewebapp1 node2 70000 8080\n', /error\[E_PORT_RANGE\]: bad\.plan:2: .*70000/],
      ['simplewebapp1 node1 5050 8080\nnosuchapp node2 5050 8080\n', /error\[E_IMAGE_NOT_FOUND\]: bad\.plan:2: .*cloud\/nosuchapp/],
    ];
    for (const [text, expected] of cases) {
      const r = await matrix(env, ['deploy', plan('bad.plan', text)]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(expected);
    }
    const missing = await matrix(env, ['deploy', join(plans, 'does-not-exist.plan')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/error\[E_BAD_REQUEST\]: .*does-not-exist\.plan: cannot read/);
    expect(await ps()).toEqual([]);
  });

  it('dry-run prints the actions and does nothing', async () => {
    const out = await matrixOk(env, ['deploy', '--dry-run', plan('applications.plan', SEED_PLAN)]);
    expect(out.match(/^would: start /gm)?.length).toBe(4);
    expect(await ps()).toEqual([]);
  });

  it('deploys the seed plan and routes /<app>/ round-robin over both nodes', async () => {
    const out = await matrixOk(env, ['deploy', plan('applications.plan', SEED_PLAN)]);
    expect(out.match(/^did: start /gm)?.length).toBe(4);
    const rows = await ps();
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => /\brunning\b/.test(r))).toBe(true);
    expect(rows.some((r) => /simplewebapp1\s+node1\s+10\.212\.0\.11:5050/.test(r))).toBe(true);

    for (const app of ['simplewebapp1', 'simplewebapp2']) {
      const seen = new Set<string>();
      await until(
        async () => {
          const a = await get(env.ingressPort, `/${app}/`);
          if (a.status === 200 && a.body.includes(`app=${app}`)) seen.add(nodeOf(a.body) ?? '?');
          return seen.size;
        },
        (n) => n >= 2,
        80,
        250,
      );
      expect([...seen].sort()).toEqual(app === 'simplewebapp1' ? ['node1', 'node2'] : ['node2', 'node3']);
    }
    const missingApp = await get(env.ingressPort, '/nosuchapp/');
    expect(missingApp.status).toBe(404);
    // host-based routing: <app>.<domain> reaches the app with the whole path
    const byHost = await get(env.ingressPort, '/', 10_000, { host: 'simplewebapp2.matrix' });
    expect(byHost.status).toBe(200);
    expect(byHost.body).toContain('app=simplewebapp2');
  });

  it('from inside an app container, the registry refuses catalog, pull and push without the cluster certificate', async () => {
    const [id] = (await dockerOn(env, 1, ['ps', '-q', '--filter', 'label=matrix.app=simplewebapp1'])).out.split('\n');
    const pid = (await dockerOn(env, 1, ['inspect', '-f', '{{.State.Pid}}', id!])).out.trim();
    expect(Number(pid)).toBeGreaterThan(0);
    // the container's own network stack (its bridge address, NAT through its node), with this host's curl
    const inContainer = (method: string, path: string, cert: string[] = []) =>
      curlIn(`/proc/${pid}/ns/net`, ['-X', method, '--cacert', join(env.home, 'pki', 'ca.pem'), ...cert, `https://10.212.0.1:5000${path}`]);
    expect(inContainer('GET', '/v2/_catalog')).toMatch(/^refused/);
    expect(inContainer('GET', '/v2/cloud/simplewebapp1/manifests/latest')).toMatch(/^refused/);
    expect(inContainer('POST', '/v2/cloud/simplewebapp1/blobs/uploads/')).toMatch(/^refused/);
    // the route is open: the manager's certificate gets through from the same place
    const pki = join(env.home, 'pki');
    expect(inContainer('GET', '/v2/_catalog', ['--cert', join(pki, 'clients/manager/cert.pem'), '--key', join(pki, 'clients/manager/key.pem')])).toBe('200');
  });

  it('re-deploying the same plan changes nothing; a changed plan converges', async () => {
    const before = await ps();
    const same = await matrixOk(env, ['deploy', plan('applications.plan', SEED_PLAN)]);
    expect(same).toMatch(/nothing to do/);
    expect(await ps()).toEqual(before);

    const smaller = SEED_PLAN.split('\n')
      .filter((l) => !l.startsWith('simplewebapp2 node3'))
      .join('\n');
    const out = await matrixOk(env, ['deploy', plan('applications.plan', smaller)]);
    // it leaves the ingress first (in-flight requests finish), and is stopped once drained
    expect(out).toMatch(/^did: drain simplewebapp2 on node3 .*not in plan/m);
    const rows = await until(ps, (r) => r.length === 3);
    expect(rows).toHaveLength(3);
    expect(rows.some((r) => /simplewebapp2\s+node3/.test(r))).toBe(false);
    const a = await until(
      () => get(env.ingressPort, '/simplewebapp2/'),
      (x) => x.status === 200 && nodeOf(x.body) === 'node2',
    );
    expect(nodeOf(a.body)).toBe('node2');
  });

  it('restarting the engine of a node with pinned replicas (regenerate-certs): out of the ingress first, back once healthy, no failed request', async () => {
    // simplewebapp1 is pinned to node1 and node2
    const { out, answers } = await whileLoaded(env, '/simplewebapp1/', () => matrixOk(env, ['node', 'regenerate-certs', 'node2']));
    expect(out).toMatch(/^2 replicas are pinned to node2 by a plan file: restarted with its engine$/m);
    expect(out).toMatch(/node2 has a new certificate and its engine runs with it; it takes replicas again/);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    // it waited for node2's replica to serve again: the next request may land on either node
    const seen = new Set<string | null>();
    for (let i = 0; i < 20 && seen.size < 2; i++) seen.add(nodeOf((await get(env.ingressPort, '/simplewebapp1/')).body));
    expect(seen).toEqual(new Set(['node1', 'node2']));
  });

  it('a live manager survives 2,000 hostile requests: same PID, same stored state', async () => {
    const pid = readFileSync(join(env.home, 'manager.pid'), 'utf8').trim();
    const token = readFileSync(join(env.home, 'token'), 'utf8').trim();
    const call = (method: string, path: string, body?: string) =>
      fetch(`http://127.0.0.1:${env.apiPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body } : {}),
      });
    const before = JSON.stringify(((await (await call('GET', '/v1/deployment')).json()) as { deployment: unknown }).deployment);
    const psBefore = await ps();
    const hostile = fc.oneof(
      fc
        .constantFrom('['.repeat(20_000), 'apps:\n' + '  x: 1\n'.repeat(5000), '# x\n'.repeat(20_000), 'simplewebapp1 node1 5050\n'.repeat(3000))
        .map((source) => JSON.stringify({ file: 'h.yaml', source, dryRun: true })),
      fc.string({ maxLength: 300 }),
      fc.anything({ maxDepth: 3 }).map((x) => JSON.stringify({ file: 'f.plan', source: x, dryRun: true })),
    );
    const paths = fc.constantFrom(
      '/v1/deploy',
      '/v1/apps/%zz/scale',
      `/v1/apps/${'a'.repeat(300)}/scale`,
      '/v1/apps/remove',
      '/v1/projects/nope/remove',
      '/v1/nodes/node1',
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(paths, hostile, async (path, body) => {
        const r = await call(path === '/v1/nodes/node1' ? 'GET' : 'POST', path, path === '/v1/nodes/node1' ? undefined : body);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const j = (await r.json()) as { error?: { code?: string } };
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) expect(j.error?.code).toMatch(/^E_[A-Z_]+$/);
      }),
      { numRuns: 2_000 },
    );
    console.log(`live fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(readFileSync(join(env.home, 'manager.pid'), 'utf8').trim()).toBe(pid);
    expect(JSON.stringify(((await (await call('GET', '/v1/deployment')).json()) as { deployment: unknown }).deployment)).toBe(before);
    expect(await ps()).toEqual(psBefore);
  });

  it('keeps answering when a node is switched off', async () => {
    await matrixOk(env, ['lab', 'poweroff', 'node1']);
    // everything in node1's namespace and every container it ran is gone
    const status = await matrixOk(env, ['lab', 'status']);
    expect(status).toMatch(/node1\s+10\.212\.0\.11:2376\s+not answering\s+down\s+0/);
    const rows = await until(ps, (r) => r.some((l) => /simplewebapp1\s+node1\s+.*unknown \(node down\)/.test(l)));
    expect(rows.find((l) => /simplewebapp1\s+node1/.test(l))).toMatch(/unknown \(node down\)/);
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await get(env.ingressPort, '/simplewebapp1/'));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => nodeOf(a.body)))).toEqual(new Set(['node2']));
  });

  it('lab down removes every namespace, link and process it made', async () => {
    await matrixOk(env, ['lab', 'down']);
    const netns = existsSync('/var/run/netns') ? execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }) : '';
    expect(netns).not.toMatch(/mxe-node/);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toMatch(/mxe0|mxe-node/);
    expect(existsSync(join(env.home, 'lab'))).toBe(false);
    expect((await get(env.ingressPort, '/simplewebapp1/', 2000)).status).toBe(0);
  });
});
