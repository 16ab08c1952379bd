import { createSocket } from 'node:dgram';
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Packet, TCPClient, UDPClient, type DnsServer } from 'dns2';
import { afterEach, describe, expect, it } from 'vitest';
import { dnsZone, type DnsZone } from '../../core/dns/zone.ts';
import { defaultUpstreams, MatrixDnsServer, parseHostPort, type MatrixDnsServerOptions } from './dns-server.ts';
import { readZoneFile, writeZoneFile } from './zone-file.ts';

const zoneOf = (serial: number, webAddresses: string[]): DnsZone =>
  dnsZone({
    nodes: [{ name: 'node1', address: '192.168.1.11' }],
    replicas: [
      ...webAddresses.map((address, i) => ({ app: 'web', id: `web.${i}`, address, port: 8080 })),
      { app: 'api', id: 'api.0', address: '10.0.0.21', port: 3000 },
    ],
    serial,
    ttl: 5,
  }).zone;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serve(opts: Partial<MatrixDnsServerOptions> & { zone?: DnsZone; subdir?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'matrix-dns-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const zoneFile = join(dir, opts.subdir ?? '', 'zone.json');
  if (opts.zone) writeZoneFile(zoneFile, opts.zone);
  const logs: string[] = [];
  const server = new MatrixDnsServer({ zoneFile, listen: { address: '127.0.0.1', port: 0 }, upstream: [], log: (m) => logs.push(m), ...opts });
  const { udpPort, tcpPort } = await server.start();
  cleanup.push(() => server.stop());
  const query = (name: string, type = 'A') => UDPClient({ dns: '127.0.0.1', port: udpPort, timeout: 2000 })(name, type);
  return { server, zoneFile, logs, udpPort, tcpPort, query };
}

/** Polls `f` until `ok` holds: file watching has no fixed delay to sleep for. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const addresses = (p: Packet): string[] => p.answers.map((a) => a.address!);

/** Sends raw bytes and resolves with the reply, or null when none comes within `ms`. */
function raw(port: number, bytes: Buffer, ms = 300): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const done = (v: Buffer | null): void => {
      clearTimeout(timer);
      socket.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), ms);
    socket.on('message', (m) => done(m));
    socket.send(bytes, port, '127.0.0.1');
  });
}

describe('MatrixDnsServer: .matrix names', () => {
  it('answers an app with all its addresses, rotated by one on each query, authoritative, with the zone TTL', async () => {
    const { query } = await serve({ zone: zoneOf(1, ['10.0.0.11', '10.0.0.12', '10.0.0.13']) });
    const first = await query('web.matrix');
    const second = await query('web.matrix');
    expect(addresses(first)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13']);
    expect(addresses(second)).toEqual(['10.0.0.12', '10.0.0.13', '10.0.0.11']);
    expect(first.header).toMatchObject({ rcode: 0, aa: 1, qr: 1 });
    expect(first.answers.every((a) => a.ttl === 5 && a.name === 'web.matrix')).toBe(true);
  });

  it('answers slot, node and SRV names', async () => {
    const { query } = await serve({ zone: zoneOf(1, ['10.0.0.11', '10.0.0.12']) });
    expect(addresses(await query('1.web.matrix'))).toEqual(['10.0.0.12']);
    expect(addresses(await query('node1.matrix'))).toEqual(['192.168.1.11']);
    const srv = await query('_8080._tcp.web.matrix', 'SRV');
    expect(srv.answers.map(({ target, port, priority, weight }) => ({ target, port, priority, weight }))).toEqual([
      { target: '0.web.matrix', port: 8080, priority: 0, weight: 1 },
      { target: '1.web.matrix', port: 8080, priority: 0, weight: 1 },
    ]);
  });

  it('answers NXDOMAIN for an unknown name, NOERROR without answers for a known name without the record type', async () => {
    const { query } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    const unknown = await query('nope.matrix');
    expect(unknown.header).toMatchObject({ rcode: 3, aa: 1 });
    expect(unknown.answers).toEqual([]);
    for (const [name, type] of [
      ['web.matrix', 'AAAA'],
      ['web.matrix', 'SRV'],
      ['_tcp.web.matrix', 'A'],
    ] as const) {
      const r = await query(name, type);
      expect([r.header.rcode, r.header.aa, r.answers.length], `${name} ${type}`).toEqual([0, 1, 0]);
    }
  });

  it('is case-insensitive, echoing the name as asked', async () => {
    const { query } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    const r = await query('WeB.MaTrIx');
    expect(addresses(r)).toEqual(['10.0.0.11']);
    expect(r.answers[0]!.name).toBe('WeB.MaTrIx');
  });

  it('answers over TCP too', async () => {
    const { tcpPort } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    expect(addresses(await TCPClient({ dns: '127.0.0.1', port: tcpPort })('api.matrix', 'A'))).toEqual(['10.0.0.21']);
  });
});

describe('MatrixDnsServer: the zone file', () => {
  it('follows a zone file replaced by rename', async () => {
    const { query, zoneFile } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    expect(addresses(await query('web.matrix'))).toEqual(['10.0.0.11']);
    writeZoneFile(zoneFile, zoneOf(2, ['10.0.0.99']));
    const r = await until(
      () => query('web.matrix'),
      (p) => addresses(p)[0] === '10.0.0.99',
    );
    expect(addresses(r)).toEqual(['10.0.0.99']);
  });

  it('keeps the last good zone when the file is damaged or removed, and logs it', async () => {
    const { query, zoneFile, logs } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    writeFileSync(`${zoneFile}.new`, '{"serial": 2, "ttl": 1, "a": {"web.matrix": ["10.0.0.300"]}');
    renameSync(`${zoneFile}.new`, zoneFile);
    await until(
      async () => logs.join('\n'),
      (l) => l.includes('unusable'),
    );
    expect(addresses(await query('web.matrix'))).toEqual(['10.0.0.11']);
    rmSync(zoneFile);
    await until(
      async () => logs.join('\n'),
      (l) => l.includes('missing'),
    );
    expect(addresses(await query('web.matrix'))).toEqual(['10.0.0.11']);
  });

  it('answers SERVFAIL for .matrix until a first zone appears, even in a directory created later', async () => {
    const { query, zoneFile } = await serve({ subdir: 'later' });
    expect((await query('web.matrix')).header.rcode).toBe(2);
    writeZoneFile(zoneFile, zoneOf(1, ['10.0.0.11']));
    const r = await until(
      () => query('web.matrix'),
      (p) => p.header.rcode === 0,
    );
    expect(addresses(r)).toEqual(['10.0.0.11']);
  });

  it('writes the file world-readable and reads it back (null when missing)', async () => {
    const { zoneFile } = await serve({ zone: zoneOf(4, ['10.0.0.11']) });
    expect(readZoneFile(zoneFile)).toEqual(zoneOf(4, ['10.0.0.11']));
    expect(readZoneFile(`${zoneFile}.none`)).toBeNull();
    expect(statSync(zoneFile).mode & 0o777).toBe(0o644);
    expect(() => writeZoneFile(zoneFile, { ...zoneOf(5, []), ttl: -1 })).toThrow(/ttl/);
  });
});

describe('MatrixDnsServer: bad queries', () => {
  it('drops a garbage packet and keeps answering; a query without question gets FORMERR', async () => {
    const { query, udpPort, logs } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    expect(await raw(udpPort, Buffer.from('garbage'))).toBeNull();
    expect(logs.join('\n')).toMatch(/dropped a malformed query/);
    const formerr = await raw(udpPort, Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c]));
    expect(formerr && Packet.parse(formerr).header).toMatchObject({ id: 0x1234, qr: 1, rcode: 1 });
    expect(addresses(await query('web.matrix'))).toEqual(['10.0.0.11']);
  });

  it('does not answer a response (no loops between servers)', async () => {
    const { udpPort } = await serve({ zone: zoneOf(1, ['10.0.0.11']) });
    const p = new Packet();
    p.header.qr = 1;
    p.questions.push(new Packet.Question('web.matrix', Packet.TYPE.A, Packet.CLASS.IN));
    expect(await raw(udpPort, p.toBuffer())).toBeNull();
  });
});

describe('MatrixDnsServer: other names', () => {
  async function fakeUpstream(): Promise<{ server: DnsServer; port: number }> {
    const server = createServer({
      udp: true,
      handle: (request, send) => {
        const r = Packet.createResponseFromRequest(request);
        const q = request.questions[0]!;
        if (q.name === 'example.com')
          r.answers.push(new Packet.Resource({ name: q.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address: '93.184.216.34' }));
        else r.header.rcode = 3;
        void send(r);
      },
    });
    const bound = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    cleanup.push(() => server.close());
    return { server, port: bound.udp!.port };
  }

  it('answers SERVFAIL without upstream', async () => {
    const { query } = await serve({ upstream: [] });
    expect((await query('example.com')).header.rcode).toBe(2);
  });

  it('relays the upstream answer and rcode, not authoritative', async () => {
    const up = await fakeUpstream();
    const { query } = await serve({ upstream: [`127.0.0.1:${up.port}`] });
    const r = await query('example.com');
    expect(r.header).toMatchObject({ rcode: 0, aa: 0, ra: 1 });
    expect(r.answers.map((a) => [a.address, a.ttl])).toEqual([['93.184.216.34', 60]]);
    expect((await query('nope.example.com')).header.rcode).toBe(3);
  });

  it('moves on from a silent upstream after the timeout, and says so once', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    cleanup.push(() => void silent.close());
    const up = await fakeUpstream();
    const { query, logs } = await serve({ upstream: [`127.0.0.1:${silent.address().port}`, `127.0.0.1:${up.port}`], upstreamTimeoutMs: 200 });
    expect(addresses(await query('example.com'))).toEqual(['93.184.216.34']);
    expect(addresses(await query('example.com'))).toEqual(['93.184.216.34']);
    expect(logs.filter((l) => l.includes('failed, trying the next'))).toHaveLength(1);
  });

  it('answers SERVFAIL when every upstream is silent', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    cleanup.push(() => void silent.close());
    const { query } = await serve({ upstream: [`127.0.0.1:${silent.address().port}`], upstreamTimeoutMs: 200 });
    expect((await query('example.com')).header.rcode).toBe(2);
  });
});

describe('MatrixDnsServer: lifecycle', () => {
  it('refuses a port already taken with a coded error', async () => {
    const { udpPort } = await serve({ zone: zoneOf(1, []) });
    const other = new MatrixDnsServer({ zoneFile: '/nonexistent/zone.json', listen: { address: '127.0.0.1', port: udpPort }, upstream: [], log: () => {} });
    await expect(other.start()).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: /cannot listen/ });
  });
});

describe('upstream configuration', () => {
  it('takes the nameservers of resolv.conf, without loopback and own addresses', () => {
    const conf =
      '# generated\nnameserver 127.0.0.53\nnameserver 10.1.0.2\nnameserver ::1\nsearch lan\nnameserver 172.17.0.1\nnameserver 2001:db8::1\nnameserver 10.1.0.2\n';
    expect(defaultUpstreams(conf, ['172.17.0.1'])).toEqual(['10.1.0.2', '2001:db8::1']);
  });

  it.each([
    ['10.0.0.1', { address: '10.0.0.1', port: 53 }],
    ['10.0.0.1:5353', { address: '10.0.0.1', port: 5353 }],
    ['[::1]:5353', { address: '::1', port: 5353 }],
    ['fd00::1', { address: 'fd00::1', port: 53 }],
  ])('reads %s', (s, hp) => expect(parseHostPort(s, 53)).toEqual(hp));

  it.each(['', 'dns.example:53', '10.0.0.1:99999', '10.0.0.1:', '10.0.0.1:x'])('refuses %j', (s) => expect(() => parseHostPort(s, 53)).toThrow(/IP address/));
});
