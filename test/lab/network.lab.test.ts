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
import { curlIn, dockerOn, get, labDown, labUpArgs, matrix, matrixOk, newLabEnv, nodeOf, replicasOf, until, type LabEnv } from './lab-harness.ts';
import { readFileSync, writeFileSync } from 'node:fs';
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
  db:
    image: cloud/simplewebapp2
    replicas: 1
    port: 8080
    expose: internal
    constraints: [ "node!=node1" ]
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

/**
 * Seed 003's multi-host app: one image in two roles. The follower reads the leader over the
 * cluster network by name (busybox nc) every second and serves what it read.
 */
const FOLLOWER_LOOP = [
  'mkdir -p /www/follower && echo waiting > /www/index.html && cp /www/index.html /www/follower/',
  'httpd -p 8080 -h /www',
  'while true; do',
  '  if printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 leader 8080 > /tmp/r 2>/dev/null && grep -q "^node=" /tmp/r; then',
  '    { echo "follower=$MATRIX_REPLICA on $MATRIX_NODE"; grep -E "^(node|replica)=" /tmp/r | sed "s/^/leader-/"; } > /tmp/page',
  '    cp /tmp/page /www/index.html && cp /tmp/page /www/follower/index.html',
  '  fi',
  '  sleep 1',
  'done',
].join('\n');
const SEED_003 = `apps:
  leader:
    image: cloud/simplewebapp1
    replicas: 1
    port: 8080
  follower:
    image: cloud/simplewebapp1
    replicas: 1
    port: 8080
    entrypoint: [/bin/sh, -c]
    command:
      - |
${FOLLOWER_LOOP.split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;

/** The node each running replica of `app` is on. */
async function nodesOf(app: string): Promise<string[]> {
  return (await replicasOf(env, app)).filter((r) => r.state === 'running').map((r) => r.node);
}

/** What each running follower container on `nodes` serves now (a powered-off node's engine would not answer). */
async function followerPages(nodes = [1, 2, 3]): Promise<string[]> {
  const pages: string[] = [];
  for (const node of nodes) {
    const ids = (await dockerOn(env, node, ['ps', '-q', '--filter', 'label=matrix.app=follower'])).out.split('\n').filter(Boolean);
    for (const id of ids) pages.push((await dockerOn(env, node, ['exec', id, 'cat', '/www/index.html'])).out);
  }
  return pages;
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

  it('an `expose: internal` app answers inside the cluster by name, and nowhere else: no ingress path, no port on the node address', async () => {
    const body = await until(
      () => fetchInside('db'),
      (b) => b.includes('app=simplewebapp2'),
      60,
      500,
    );
    expect(nodeOf(body)).not.toBe('node1');
    expect((await get(env.ingressPort, '/db/')).status).toBe(404);
    const [row] = await replicasOf(env, 'db');
    const n = Number(row!.node.replace('node', ''));
    const id = (await dockerOn(env, n, ['ps', '-q', '--filter', 'label=matrix.app=db'])).out.trim();
    const ports = (await dockerOn(env, n, ['port', id])).out.trim();
    // bound to the node's loopback only
    expect(ports).toMatch(/^8080\/tcp -> 127\.0\.0\.1:\d+$/);
    const hostPort = ports.split(':').pop()!;
    expect(curlIn('/proc/self/ns/net', [`http://${env.subnet}.${10 + n}:${hostPort}/`])).toMatch(/^refused/);
    expect(await resolve('db.matrix')).toHaveLength(1);
  });

  it('a cluster range over a network the host routes is refused with the field, and nothing is written', async () => {
    const config = readFileSync(join(env.home, 'manager.json'), 'utf8');
    const r = await matrix(env, ['manager', 'start', '--network', `${env.subnet.split('.').slice(0, 2).join('.')}.0.0/16`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`error\\[E_BAD_REQUEST\\]: --network: 10\\.214\\.0\\.0/16 overlaps the host route 10\\.214\\.0\\.0/24 \\(${env.bridge}\\)`),
    );
    expect(readFileSync(join(env.home, 'manager.json'), 'utf8')).toBe(config);
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
    // node3 itself routes to its peers' shares again (its replies would not need them: they go to node1's address);
    // the network consumer sends them on its own time, which may come after the replica is reached
    const want = [`10.220.1.0/24 via ${env.subnet}.11`, `10.220.2.0/24 via ${env.subnet}.12`];
    expect(
      await until(
        async () => routesOf('node3'),
        (r) => r.join() === want.join(),
        120,
        250,
      ),
    ).toEqual(want);
  });
});

describe('seed 003: a leader and its followers find each other by name on any node', () => {
  it('the follower reads leader.matrix across nodes; scaled to 3 each reaches it; the leader rescheduled off a dead node is found again by name', async () => {
    const file = join(env.home, 'seed003.yaml');
    writeFileSync(file, SEED_003);
    await matrixOk(env, ['deploy', file]);
    const leaderNode = (
      await until(
        () => nodesOf('leader'),
        (n) => n.length === 1,
        120,
        500,
      )
    )[0]!;
    const served = await until(
      () => get(env.ingressPort, '/follower/'),
      (a) => a.status === 200 && a.body.includes('leader-node='),
      120,
      500,
    );
    expect(served.body).toContain(`leader-node=${leaderNode}`);
    // on another node than the leader (spread), so the read crossed the cluster network
    const [followerNode] = await nodesOf('follower');
    expect(followerNode).not.toBe(leaderNode);
    expect(served.body).toContain(`on ${followerNode}`);

    await matrixOk(env, ['scale', 'follower=3']);
    const spread = await until(
      () => nodesOf('follower'),
      (n) => n.length === 3,
      120,
      500,
    );
    expect(new Set(spread).size).toBeGreaterThan(1);
    const pages = await until(followerPages, (p) => p.length === 3 && p.every((x) => x.includes(`leader-node=${leaderNode}`)), 60, 500);
    expect(pages.filter((p) => p.includes(`leader-node=${leaderNode}`))).toHaveLength(3);

    // the leader's node dies: the leader starts elsewhere, and the followers reach it by the same name
    await matrixOk(env, ['lab', 'poweroff', leaderNode]);
    try {
      const moved = (
        await until(
          () => nodesOf('leader'),
          (n) => n.length === 1 && n[0] !== leaderNode,
          120,
          500,
        )
      )[0]!;
      expect(moved).not.toBe(leaderNode);
      const alive = [1, 2, 3].filter((n) => `node${n}` !== leaderNode);
      const after = await until(
        () => followerPages(alive),
        (p) => p.length > 0 && p.every((x) => x.includes(`leader-node=${moved}`)),
        60,
        500,
      );
      expect(after.every((x) => x.includes(`leader-node=${moved}`))).toBe(true);
    } finally {
      await matrixOk(env, ['lab', 'poweron', leaderNode]);
    }
  });
});

describe('the vxlan mode, for nodes across routed networks', () => {
  /** Packets node `node`'s VTEP has sent. */
  function vxlanTx(node: string): number {
    const out = execFileSync('nsenter', [`--net=/var/run/netns/${env.prefix}${node}`, 'ip', '-s', '-j', 'link', 'show', 'mx-vxlan'], { encoding: 'utf8' });
    return (JSON.parse(out) as { stats64: { tx: { packets: number } } }[])[0]!.stats64.tx.packets;
  }

  it('switched to vxlan, every node routes its peers through its VTEP and apps still reach each other by name', async () => {
    expect((await matrix(env, ['manager', 'stop'])).code).toBe(0);
    await matrixOk(env, ['manager', 'start', '--network-mode', 'vxlan']);
    const routes = await until(
      async () => routesOf('node1'),
      (r) => r.join() === '10.220.2.0/24 via 10.220.2.0,10.220.3.0/24 via 10.220.3.0',
      120,
      500,
    );
    expect(routes).toEqual(['10.220.2.0/24 via 10.220.2.0', '10.220.3.0/24 via 10.220.3.0']);
    // web serves on node2 and node3 again (a node was switched off above)
    await until(
      () => resolve('web.matrix'),
      (a) => a.some((x) => x.startsWith('10.220.2.')) && a.some((x) => x.startsWith('10.220.3.')),
      240,
      500,
    );
    const before = vxlanTx('node1');
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(nodeOf(await fetchInside('web.matrix')) ?? '?');
    expect([...seen].sort()).toEqual(['node2', 'node3']);
    // the requests left node1 through the VXLAN device
    expect(vxlanTx('node1') - before).toBeGreaterThanOrEqual(6);
  });
});
