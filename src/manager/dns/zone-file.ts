/**
 * The zone file: the only link between the manager (writer) and the DNS server (reader), so
 * the server keeps answering while the manager is stopped or restarted.
 */
import {
  chmodSync,
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import { MAX_ZONE_BYTES, parseZone, type DnsZone } from '../../core/dns/zone.ts';

/**
 * Replaces the file in one rename, so the server never reads half a zone. The zone is checked
 * as the server will check it: a zone it would refuse fails here, where someone sees it.
 */
export function writeZoneFile(file: string, zone: DnsZone): void {
  const text = `${JSON.stringify(zone)}\n`;
  parseZone(text);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    // The server may run as another user; the manager's umask must not hide the zone from it.
    chmodSync(tmp, 0o644);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The zone, or null when the file does not exist. A damaged file throws `E_BAD_REQUEST`. */
export function readZoneFile(file: string): DnsZone | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    // Checked on the open file, so a huge file is refused before it is read into memory.
    if (fstatSync(fd).size > MAX_ZONE_BYTES) throw new MatrixError('E_BAD_REQUEST', `zone file: ${file} is larger than ${MAX_ZONE_BYTES} bytes`);
    return parseZone(readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

export interface ZoneWatch {
  close(): void;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Calls `onZone` with the file's zone now and after every change. Watches the directory, not
 * the file: the writer replaces the file by rename, which a watch on the old inode would miss.
 * A stat every `pollMs` catches what inotify misses (network and overlay file systems, a
 * directory created after the start). A missing or damaged file is logged once per version
 * and `onZone` is not called, so the caller keeps its last good zone.
 */
export function watchZoneFile(file: string, opts: { onZone: (zone: DnsZone) => void; log: (msg: string) => void; pollMs?: number }): ZoneWatch {
  const dir = dirname(file);
  const name = basename(file);
  let seen: string | undefined;
  let watcher: FSWatcher | undefined;
  let closed = false;
  let loaded = false;
  const keeping = (): string => (loaded ? 'keeping the last zone' : 'no zone yet');

  const version = (): string => {
    try {
      const s = statSync(file, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      return 'missing';
    }
  };

  const load = (force: boolean): void => {
    if (closed) return;
    const v = version();
    if (v === seen && !force) return;
    const logIt = v !== seen;
    seen = v;
    try {
      const zone = readZoneFile(file);
      if (zone) {
        loaded = true;
        opts.onZone(zone);
      } else if (logIt) opts.log(`zone file ${file} is missing; ${keeping()}`);
    } catch (e) {
      if (logIt) opts.log(`zone file ${file} is unusable (${keeping()}): ${errorText(e)}`);
    }
  };

  const ensureWatch = (): void => {
    if (watcher || closed) return;
    try {
      watcher = watch(dir, { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) load(true);
      });
      watcher.on('error', (e) => {
        opts.log(`watching ${dir} failed, polling only until it can be watched again: ${errorText(e)}`);
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // No directory yet: the poll below retries until there is one.
    }
  };

  ensureWatch();
  load(false);
  const timer = setInterval(() => {
    ensureWatch();
    load(false);
  }, opts.pollMs ?? 500);
  timer.unref();

  return {
    close(): void {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
