/**
 * Where cloudmatrix keeps its state on the manager host: `$MATRIX_HOME`, else
 * `~/.cloudmatrix`. Every file path the manager, the lab and the CLI share is named here.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** varnishd's pid file in its work dir: the manager writes it, the CLI stops the ingress by it. */
export const VARNISH_PID_FILE = 'varnishd.pid';
/** In `HomePaths.dns`: the `.matrix` DNS server's pid, and the zone it answers from (its command line names it). */
export const DNS_PID_FILE = 'dns.pid';
export const DNS_ZONE_FILE = 'zone.json';

export interface HomePaths {
  root: string;
  pki: string;
  db: string;
  token: string;
  /** The key that encrypts secrets in the database: kept apart from it (back them up separately). */
  secretKey: string;
  managerConfig: string;
  managerPid: string;
  /** The process that restarts the manager when it dies (`matrix manager start`). */
  supervisorPid: string;
  managerLog: string;
  /** Details of unexpected CLI errors (the CLI prints one line and points here). */
  cliLog: string;
  registry: string;
  varnishDir: string;
  /** The `.matrix` DNS server: its zone file, pid and log. */
  dns: string;
  lab: string;
  /** Machines made by the drivers other than the lab (ssh, local): one JSON record each, and the SSH known_hosts. */
  machines: string;
}

export function matrixHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MATRIX_HOME || join(homedir(), '.cloudmatrix'));
}

export function homePaths(root: string = matrixHome()): HomePaths {
  return {
    root,
    pki: join(root, 'pki'),
    db: join(root, 'state.db'),
    token: join(root, 'token'),
    secretKey: join(root, 'secret.key'),
    managerConfig: join(root, 'manager.json'),
    managerPid: join(root, 'manager.pid'),
    supervisorPid: join(root, 'supervisor.pid'),
    managerLog: join(root, 'manager.log'),
    cliLog: join(root, 'cli.log'),
    registry: join(root, 'registry'),
    varnishDir: join(root, 'varnish'),
    dns: join(root, 'dns'),
    lab: join(root, 'lab'),
    machines: join(root, 'machines'),
  };
}

/**
 * The CA certificates to trust in the PKI directory: `trust.pem` (the old and the new CA
 * together, while the cluster CA is rotated), else `ca.pem`.
 */
export function trustFile(pkiDir: string): string {
  const t = join(pkiDir, 'trust.pem');
  return existsSync(t) ? t : join(pkiDir, 'ca.pem');
}

/**
 * The home holds the cluster's keys, its database and the API token: it is 0700 and every
 * state file in it 0600, whoever created them and with whatever umask (an earlier version
 * or a `mkdir` by hand may have left them readable).
 */
export function securePaths(p: HomePaths): void {
  mkdirSync(p.root, { recursive: true, mode: 0o700 });
  chmodSync(p.root, 0o700);
  for (const f of [p.db, `${p.db}-wal`, `${p.db}-shm`, p.token, p.secretKey, p.managerConfig, p.managerPid, p.supervisorPid, p.managerLog, p.cliLog]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
  // not the varnish work dir: varnishd's unprivileged child compiles VCL in it
  if (existsSync(p.pki)) chmodSync(p.pki, 0o700);
}
