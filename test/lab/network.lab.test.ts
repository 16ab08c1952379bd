/**
 * The cluster network and `.matrix` DNS in a real lab of three nodes: a container on node1
 * reaches `web`, whose only replicas are on node2 and node3, by name over the cluster network
 * (round-robin across both); the host asks the DNS server too; a powered-off node's replicas
 * leave the answers and its routes come back with it; names keep resolving while the manager
 * is stopped.
 */
import { execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerOn, labDown, labUpArgs, matrix, matrixOk, newLabEnv, nodeOf, until, type LabEnv } from './lab-harness.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env: LabEnv = newLabEnv('network', 214);
const DNS = `${env.subnet}.1`;

const SPEC = `apps:
  web:
    image: cloud/simplewebapp1
    replicas: 2
    port: 8080
    constraints: [ "node!=node1" ]
  client:
    image: cloud/simplewebapp2
    replicas: 1
    port: 8080
    constraints: [ "node==node1" ]
`;

async function resolve(name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([DNS]);
  return r.resolve4(name).catch(() => []);
}

/** The client container on node1. */
async function clientId(): Promise<string> {
  const r = await dockerOn(env, 1, ['ps', '-q', '--filter', 'label=matrix.app=client']);
  return r.out.trim().split('\n')[0] ?? '';
}

/** An HTTP GET from inside the client container with busybox nc; the body, or '' when it fails. */
async function fetchInside(host: string): Promise<string> {
  const id = await clientId();
  const r = await dockerOn(env, 1, ['exec', id, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' | nc -w 3 ${host} 8080`]);
  return r.code === 0 ? r.out : '';
}

/** A node's routes into the cluster range other than its own bridge's, as `dst via gw`. */
function routesOf(node: string): string[] {
  const out = execFileSync('nsenter', [`--net=/var/run/netns/${env.prefix}${node}`, 'ip', 'route', 'show', 'root', '10.220.0.0/16'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(' via '))
    .map((l) => l.split(' ').slice(0, 3).join(' '))
    .sort();
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
  const file = join(env.home, 'network.yaml');
  writeFileSync(file, SPEC);
  await matrixOk(env, ['deploy', file]);
});

afterAll(async () => {
  await labDown(env);
});

describe('apps that find each other across nodes', () => {
  it('a container on node1 reaches web.matrix and web, served only on node2 and node3, round-robin over both', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const body = await fetchInside(i % 2 ? 'web' : 'web.matrix');
      expect(body, `request ${i}`).toContain('simplewebapp1');
      seen.add(nodeOf(body) ?? '?');
    }
    expect([...seen].sort()).toEqual(['node2', 'node3']);
  });

  it('the host asks the DNS server: the replicas by app, by slot and SRV, and the nodes; `matrix dns` lists them', async () => {
    const web = await resolve('web.matrix');
    expect(web).toHaveLength(2);
    // addresses from node2's and node3's shares of the cluster range, not node1's
    for (const a of web) expect(a).toMatch(/^10\.220\.(2|3)\.\d+$/);
    expect(new Set(web.map((a) => a.split('.')[2])).size).toBe(2);
    expect(routesOf('node1')).toEqual([`10.220.2.0/24 via ${env.subnet}.12`, `10.220.3.0/24 via ${env.subnet}.13`]);
    expect(await resolve('node2.matrix')).toEqual([`${env.subnet}.12`]);
    const slot0 = await resolve('0.web.matrix');
    expect(slot0).toHaveLength(1);
    expect(web).toContain(slot0[0]);
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([DNS]);
    const srv = await r.resolveSrv('_8080._tcp.web.matrix');
    expect(srv.map((s) => [s.name, s.port]).sort()).toEqual([
      ['0.web.matrix', 8080],
      ['1.web.matrix', 8080],
    ]);
    await expect(r.resolve4('nothing.matrix')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const out = await matrixOk(env, ['dns']);
    expect(out).toMatch(new RegExp(`web\\.matrix\\s+A\\s+1\\s+${web[0]!.replace(/\./g, '\\.')}`));
    expect(out).toContain('_8080._tcp.web.matrix');
  });

  it('names keep resolving inside the cluster while the manager is stopped', async () => {
    expect((await matrix(env, ['manager', 'stop'])).code).toBe(0);
    try {
      expect(await fetchInside('web.matrix')).toContain('simplewebapp1');
      expect(await resolve('web.matrix')).toHaveLength(2);
    } finally {
      await matrixOk(env, ['manager', 'start']);
    }
  });

  it("a powered-off node's replica leaves the answers; powered on, its routes are back and it is reached again", async () => {
    const node3Addr = (await resolve('web.matrix')).find((a) => a.startsWith('10.220.3.'));
    expect(node3Addr).toBeDefined();
    await matrixOk(env, ['lab', 'poweroff', 'node3']);
    const t0 = Date.now();
    const after = await until(
      () => resolve('web.matrix'),
      (a) => !a.includes(node3Addr!),
      100,
      100,
    );
    const gone = (Date.now() - t0) / 1000;
    console.log(`node3 powered off: its replica left web.matrix after ${gone.toFixed(2)} s`);
    expect(after).not.toContain(node3Addr);
    // every answer is a replica that serves
    expect(await fetchInside('web.matrix')).toContain('simplewebapp1');

    await matrixOk(env, ['lab', 'poweron', 'node3']);
    // node3 lost its links, and with them its routes: they are set again, and its new replica is reached from node1
    const back = await until(
      async () => {
        const addrs = await resolve('web.matrix');
        const onNode3 = addrs.find((a) => a.startsWith('10.220.3.'));
        return onNode3 ? nodeOf(await fetchInside(onNode3)) : null;
      },
      (n) => n === 'node3',
      120,
      500,
    );
    expect(back).toBe('node3');
    // node3 itself routes to its peers' shares again (its replies would not need them: they go to node1's address)
    expect(routesOf('node3')).toEqual([`10.220.1.0/24 via ${env.subnet}.11`, `10.220.2.0/24 via ${env.subnet}.12`]);
  });
});
