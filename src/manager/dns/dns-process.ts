/**
 * The `.matrix` DNS server as a process of its own (`matrix dns serve`), started detached
 * and adopted like Varnish: it answers from the zone file, which the manager only writes, so
 * running apps keep resolving each other while the manager is stopped, restarting or being
 * upgraded. Identified by its pid file and its command line (which names the zone file, one
 * per home): a recycled pid is never taken for it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MatrixError } from '../../core/errors.ts';
import { matrixBin } from '../../shared/matrix-bin.ts';
import { DNS_PID_FILE, DNS_ZONE_FILE } from '../../shared/home.ts';
import { livePid, stopPid, writePid } from '../../util/pidfile.ts';
import { writeZoneFile } from './zone-file.ts';
import type { DnsZone } from '../../core/dns/zone.ts';

const READY_TIMEOUT_MS = 10_000;

export interface DnsFiles {
  dir: string;
  zone: string;
  pid: string;
  log: string;
}

export function dnsFiles(dir: string): DnsFiles {
  return { dir, zone: join(dir, DNS_ZONE_FILE), pid: join(dir, DNS_PID_FILE), log: join(dir, 'dns.log') };
}

/** `address:port` as the server's `--listen` takes it. */
export function listenArg(l: { address: string; port: number }): string {
  return `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
}

/** Whether something answers DNS at `listen` (an NXDOMAIN is an answer). */
export async function answers(listen: { address: string; port: number }): Promise<boolean> {
  const r = new Resolver({ timeout: 300, tries: 1 });
  r.setServers([listenArg(listen)]);
  try {
    await r.resolve4('ready.matrix');
    return true;
  } catch (e) {
    return ['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'EREFUSED'].includes((e as { code?: string }).code ?? '');
  }
}

export class DnsProcess {
  readonly files: DnsFiles;

  constructor(
    dir: string,
    private readonly listen: { address: string; port: number },
  ) {
    this.files = dnsFiles(dir);
  }

  pid(): number | null {
    return livePid(this.files.pid, this.files.zone);
  }

  /** Writes the zone the server answers from (atomically: it never reads half a file). */
  publish(zone: DnsZone): void {
    writeZoneFile(this.files.zone, zone);
  }

  /** Starts the server unless one runs for this home already (left by an earlier manager: adopted). */
  async start(initial: DnsZone): Promise<void> {
    mkdirSync(this.files.dir, { recursive: true, mode: 0o755 });
    if (this.pid() !== null) return;
    this.publish(initial);
    const log = openSync(this.files.log, 'a');
    let pid: number | undefined;
    try {
      const child = spawn(process.execPath, [matrixBin(), 'dns', 'serve', '--zone', this.files.zone, '--listen', listenArg(this.listen)], {
        stdio: ['ignore', log, log],
        detached: true,
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(log);
    }
    if (pid === undefined) throw new MatrixError('E_INTERNAL', 'the DNS server could not be started');
    writePid(this.files.pid, pid);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answers(this.listen))) {
      if (this.pid() === null || Date.now() > deadline) {
        await this.stop();
        throw new MatrixError('E_INTERNAL', `the DNS server did not answer on ${listenArg(this.listen)} (see ${this.files.log})`);
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    await stopPid(this.files.pid, this.files.zone);
    rmSync(this.files.pid, { force: true });
  }
}
