/**
 * The `.matrix` DNS as the manager runs it: the server process (started or adopted), the
 * consumer that writes its zone, the supervisor's view of it, and `GET /v1/dns`. Absent when
 * nodes could not ask it (dnsListen: no `dns` set and the registry on loopback): then every
 * part is a no-op and containers keep the engine's default resolvers.
 */
import type { Logger } from 'pino';
import { dnsZone, type DnsZone } from '../../core/dns/zone.ts';
import type { DnsView } from '../../shared/api-types.ts';
import type { Component } from '../components/component-supervisor.ts';
import type { SnapshotConsumer } from '../controllers/consumers.ts';
import { containerDns } from '../network/host.ts';
import { dnsConsumer, zoneRows } from './dns-consumer.ts';
import { DnsProcess, listenArg } from './dns-process.ts';

export interface DnsService {
  /** The resolver containers are given; null: the engine's default. */
  containerDns: string | null;
  consumer: SnapshotConsumer | null;
  component: Component | null;
  view(): DnsView;
  /** Starts (or adopts) the server; a failure is logged and left to the supervisor. */
  start(): Promise<void>;
}

const EMPTY: DnsZone = dnsZone({ nodes: [], replicas: [], serial: 0 }).zone;

export function dnsService(dir: string, listen: { address: string; port: number } | null, log: Logger): DnsService {
  if (!listen) {
    return {
      containerDns: null,
      consumer: null,
      component: null,
      view: () => ({ listen: '', containerDns: null, serial: null, records: [] }),
      start: async () => log.info('no .matrix DNS: the registry is on loopback, so no node could ask it (set `dns` in manager.json)'),
    };
  }
  const proc = new DnsProcess(dir, listen);
  let last: DnsZone | null = null;
  return {
    containerDns: containerDns(listen),
    consumer: dnsConsumer(
      {
        publish: (zone) => {
          last = zone;
          proc.publish(zone);
        },
      },
      (w) => log.warn({ warnings: w }, 'dns names left out'),
    ),
    component: {
      name: 'dns',
      alive: async () => proc.pid() !== null,
      restart: () => proc.start(last ?? EMPTY),
      detail: () => `${listenArg(listen)}, zone ${last ? `serial ${last.serial}` : 'empty'}`,
    },
    view: () => ({ listen: listenArg(listen), containerDns: containerDns(listen), serial: last?.serial ?? null, records: last ? zoneRows(last) : [] }),
    start: () => proc.start(EMPTY).catch((e: Error) => log.error({ err: e.message }, 'dns not started; retried by the supervisor')),
  };
}
