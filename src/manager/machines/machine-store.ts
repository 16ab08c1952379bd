/**
 * What the drivers other than the lab made: `<MATRIX_HOME>/machines/<name>.json`, one record
 * a machine (the lab keeps its own lab.json). Written whole and atomically, so a failed or
 * interrupted create never leaves half a record.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import type { SshTarget } from './ssh-session.ts';

export interface MachineRecord {
  name: string;
  driver: string;
  address: string;
  enginePort: number;
  created: string;
  /** The registry the engine was set up to trust (host:port), to undo it. */
  registry?: string;
  /** How the ssh driver reaches it. */
  ssh?: SshTarget;
  /** The engine's unix socket (the local driver). */
  socket?: string;
  /** Directories of this host the driver made, removed with the machine. */
  madeDirs?: string[];
  /** A simulated node (the sim driver): what it offers, and whether it is switched off. */
  sim?: { cpus: number; memoryMb: number; off: boolean };
}

export class MachineStore {
  constructor(readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  get(name: string): MachineRecord | null {
    const f = this.file(name);
    if (!existsSync(f)) return null;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as MachineRecord;
    } catch (e) {
      throw new MatrixError('E_MACHINE', `${f} is not a machine record (${(e as Error).message}): mend or remove it`);
    }
  }

  /** The record of `name` made by `driver`, with the field that driver keeps there; E_NOT_FOUND otherwise. */
  owned<K extends 'ssh' | 'socket' | 'sim'>(name: string, driver: string, field: K): MachineRecord & Required<Pick<MachineRecord, K>> {
    const r = this.get(name);
    if (r?.driver !== driver || r[field] === undefined) throw new MatrixError('E_NOT_FOUND', `no ${driver} machine named ${name}`, { path: 'node' });
    return r as MachineRecord & Required<Pick<MachineRecord, K>>;
  }

  /** Every readable record: one that is not (mended by hand?) is left out, and stops no other machine's work. */
  list(): MachineRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          return [this.get(f.slice(0, -'.json'.length))].filter((r): r is MachineRecord => r !== null);
        } catch {
          return [];
        }
      });
  }

  save(r: MachineRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(r.name)}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file(r.name));
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  get knownHostsFile(): string {
    return join(this.dir, 'known_hosts');
  }
}
