/**
 * The `.matrix` DNS server: answers cluster names from the zone file the manager writes and
 * forwards every other name upstream. It runs as its own process (`matrix dns serve`) so
 * containers keep resolving while the manager is stopped or restarted.
 */
import { readFileSync } from 'node:fs';
import { isIP, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createServer, Packet, UDPClient, type DnsServer, type Question } from 'dns2';
import { inDnsDomain, lookup, normalizeDnsName, rotate, type DnsZone } from '../../core/dns/zone.ts';
import { MatrixError } from '../../core/errors.ts';
import { watchZoneFile, type ZoneWatch } from './zone-file.ts';

// dns2 has these as Packet.RCODE at run time, but not in its type declarations.
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const { TYPE, CLASS } = Packet;
// dns2's clients take a type's name, not its number: a type it has no name for cannot be forwarded.
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
const UPSTREAM_TIMEOUT_MS = 2000;

export interface HostPort {
  address: string;
  port: number;
}

export interface MatrixDnsServerOptions {
  zoneFile: string;
  listen: HostPort;
  /** `addr` or `addr:port` (`[v6]:port`); default: the nameservers of /etc/resolv.conf. */
  upstream?: string[];
  log?: (msg: string) => void;
  upstreamTimeoutMs?: number;
}

type Send = (response: Packet) => Promise<Buffer>;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `addr`, `addr:port` or `[v6addr]:port`, addresses as IP literals. */
export function parseHostPort(s: string, defaultPort: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(s);
  const [address, portText] = isIP(s) === 6 ? [s, undefined] : [m?.[1] ?? '', m?.[2]];
  const port = portText === undefined ? defaultPort : Number(portText);
  if (isIP(address) === 0 || port > 65535)
    throw new MatrixError('E_BAD_REQUEST', `expected an IP address and an optional port (addr:port, [v6]:port), not ${JSON.stringify(s)}`);
  return { address, port };
}

/**
 * The `nameserver` lines of a resolv.conf, without loopback addresses (the host's stub
 * resolver is not reachable from where the server may run, e.g. a container) and without the
 * server's own addresses: forwarding to ourselves would loop until every query timed out.
 */
export function defaultUpstreams(resolvConf: string, own: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const addr = /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
    if (!addr || isIP(addr) === 0 || addr.startsWith('127.') || addr === '::1' || own.includes(addr) || out.includes(addr)) continue;
    out.push(addr);
  }
  return out;
}

/** The addresses a server listening on `address` answers on. */
function ownAddresses(address: string): string[] {
  if (address !== '0.0.0.0' && address !== '::') return [address];
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class MatrixDnsServer {
  private readonly opts: MatrixDnsServerOptions;
  private readonly log: (msg: string) => void;
  private upstream: HostPort[] = [];
  private zone: DnsZone | undefined;
  private server: DnsServer | undefined;
  private zoneWatch: ZoneWatch | undefined;
  /** Per name, how far its addresses are rotated on the next query. */
  private readonly turns = new Map<string, number>();
  private readonly downUpstreams = new Set<string>();
  private readonly tcpClients = new Set<Socket>();

  constructor(opts: MatrixDnsServerOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((msg) => process.stderr.write(`${msg}\n`));
    if (opts.upstream) this.upstream = opts.upstream.map((u) => parseHostPort(u, 53));
  }

  /** Binds UDP and TCP; with port 0 each gets its own free port. */
  async start(): Promise<{ udpPort: number; tcpPort: number; upstream: string[] }> {
    if (this.server) throw new MatrixError('E_INTERNAL', 'the DNS server is already started');
    const { address, port } = this.opts.listen;
    if (!this.opts.upstream) {
      let conf = '';
      try {
        conf = readFileSync('/etc/resolv.conf', 'utf8');
      } catch (e) {
        this.log(`cannot read /etc/resolv.conf, names outside .matrix will fail: ${errorText(e)}`);
      }
      this.upstream = defaultUpstreams(conf, ownAddresses(address)).map((u) => parseHostPort(u, 53));
    }
    this.zoneWatch = watchZoneFile(this.opts.zoneFile, { log: this.log, onZone: (z) => this.setZone(z) });

    const server = createServer({
      udp: isIP(address) === 6 ? { type: 'udp6' } : true,
      tcp: true,
      handle: (request, send, client) => this.onQuery(request, send, client),
    });
    server.on('requestError', (e) => this.log(`dropped a malformed query: ${errorText(e)}`));
    let bindFailed: (e: Error) => void = () => {};
    const failure = new Promise<never>((_, reject) => (bindFailed = reject));
    server.on('error', (e, transport) => {
      this.log(`${transport}: ${errorText(e)}`);
      bindFailed(e);
    });
    // dns2 hands a port-0 entry to net.Server.listen as is, and that reads `host`, not
    // `address`: without it, TCP would listen on every interface.
    const tcp = { port, address, host: address };
    try {
      const bound = await Promise.race([server.listen({ udp: { port, address }, tcp }), failure]);
      this.server = server;
      return { udpPort: bound.udp!.port, tcpPort: bound.tcp!.port, upstream: this.upstream.map((u) => `${u.address}:${u.port}`) };
    } catch (e) {
      this.zoneWatch.close();
      void server.close();
      throw new MatrixError('E_BAD_REQUEST', `the DNS server cannot listen on ${address} port ${port}: ${errorText(e)}`, { path: 'listen' });
    }
  }

  async stop(): Promise<void> {
    this.zoneWatch?.close();
    this.zoneWatch = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = server.close();
    // A TCP client may keep its connection open between queries; closing waits for it.
    for (const c of this.tcpClients) c.destroy();
    await closed;
  }

  private setZone(zone: DnsZone): void {
    // A rename can be reported more than once; the same zone again must not restart the rotation.
    if (this.zone && JSON.stringify(this.zone) === JSON.stringify(zone)) return;
    this.zone = zone;
    this.turns.clear();
    this.log(`zone ${zone.serial}: ${Object.keys(zone.a).length} names, ${Object.keys(zone.srv).length} services`);
  }

  /** dns2 neither awaits the handler nor catches what send rejects with: nothing may escape here. */
  private onQuery(request: Packet, send: Send, client: unknown): void {
    if (client instanceof Socket && !this.tcpClients.has(client)) {
      this.tcpClients.add(client);
      client.once('close', () => this.tcpClients.delete(client));
    }
    this.answer(request)
      .catch((e: unknown) => {
        this.log(`query failed: ${errorText(e)}`);
        return this.reply(request, RCODE.SERVFAIL);
      })
      .then((response) => (response ? this.send(send, response, request) : undefined))
      .catch((e: unknown) => this.log(`query failed: ${errorText(e)}`));
  }

  private async send(send: Send, response: Packet, request: Packet): Promise<void> {
    try {
      await send(response);
    } catch (e) {
      // Most likely an upstream record dns2 cannot encode again: tell the client rather than leave it waiting.
      this.log(`could not send an answer: ${errorText(e)}`);
      if (response.header.rcode !== RCODE.SERVFAIL) await send(this.reply(request, RCODE.SERVFAIL));
    }
  }

  private reply(request: Packet, rcode: number): Packet {
    const response = Packet.createResponseFromRequest(request);
    response.header.rcode = rcode;
    response.header.ra = this.upstream.length > 0 ? 1 : 0;
    return response;
  }

  private async answer(request: Packet): Promise<Packet | null> {
    // A response sent to us is never answered: two servers could bounce it forever.
    if (request.header.qr) return null;
    if (request.header.opcode !== 0) return this.reply(request, RCODE.NOTIMP);
    const q = request.questions[0];
    // dns2 drops a question it cannot parse and hands on the rest of the packet.
    if (!q || typeof q.name !== 'string') return this.reply(request, RCODE.FORMERR);
    const name = normalizeDnsName(q.name);
    return inDnsDomain(name) ? this.local(request, q, name) : this.forward(request, q);
  }

  private local(request: Packet, q: Question, name: string): Packet {
    const zone = this.zone;
    // Before the first zone, "no such name" would be a lie a client might act on.
    if (!zone) return this.reply(request, RCODE.SERVFAIL);
    if (q.class !== CLASS.IN && q.class !== CLASS.ANY) return this.reply(request, RCODE.REFUSED);
    const a = lookup(zone, name, 'A');
    const response = this.reply(request, a.exists ? RCODE.NOERROR : RCODE.NXDOMAIN);
    response.header.aa = 1;
    const base = { name: q.name, class: CLASS.IN, ttl: zone.ttl };
    if ((q.type === TYPE.A || q.type === TYPE.ANY) && a.answers.length > 0) {
      const turn = this.turns.get(name) ?? 0;
      this.turns.set(name, (turn + 1) % a.answers.length);
      for (const address of rotate(a.answers, turn)) response.answers.push(new Packet.Resource({ ...base, type: TYPE.A, address }));
    }
    if (q.type === TYPE.SRV || q.type === TYPE.ANY) {
      for (const s of lookup(zone, name, 'SRV').answers) {
        response.answers.push(new Packet.Resource({ ...base, type: TYPE.SRV, priority: 0, weight: 1, port: s.port, target: s.target }));
      }
    }
    return response;
  }

  private async forward(request: Packet, q: Question): Promise<Packet> {
    const response = this.reply(request, RCODE.SERVFAIL);
    const type = TYPE_NAMES.get(q.type);
    if (!type) return response;
    const ms = this.opts.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS;
    for (const up of this.upstream) {
      const key = `${up.address}:${up.port}`;
      try {
        const resolve = UDPClient({ dns: up.address, port: up.port, timeout: ms, socketType: isIP(up.address) === 6 ? 'udp6' : 'udp4' });
        // The race also bounds dns2's retry over TCP (after a truncated answer), which has no timeout.
        const answer = await within(resolve(q.name, type, q.class), ms);
        if (this.downUpstreams.delete(key)) this.log(`upstream ${key} answers again`);
        response.header.rcode = answer.header.rcode;
        response.answers = answer.answers;
        response.authorities = answer.authorities;
        // The OPT record answers dns2's query, not our client's.
        response.additionals = answer.additionals.filter((r) => r.type !== TYPE.EDNS);
        if (answer.header.rcode !== RCODE.SERVFAIL && answer.header.rcode !== RCODE.REFUSED) return response;
      } catch (e) {
        if (!this.downUpstreams.has(key)) this.log(`upstream ${key} failed, trying the next one: ${errorText(e)}`);
        this.downUpstreams.add(key);
      }
    }
    return response;
  }
}

/** `matrix dns serve`: serves until SIGTERM or SIGINT, then stops cleanly. */
export async function runDnsServer(argv: { zone: string; listen: string }): Promise<void> {
  const listen = parseHostPort(argv.listen, 53);
  const server = new MatrixDnsServer({ zoneFile: argv.zone, listen, log: (msg) => process.stderr.write(`matrix dns: ${msg}\n`) });
  const { udpPort, tcpPort, upstream } = await server.start();
  const host = isIP(listen.address) === 6 ? `[${listen.address}]` : listen.address;
  const ports = udpPort === tcpPort ? `${udpPort}` : `${udpPort} (udp), ${tcpPort} (tcp)`;
  console.log(`matrix dns: serving ${argv.zone} on ${host}:${ports}; other names go to ${upstream.join(', ') || 'nobody (SERVFAIL)'}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.stop();
}
