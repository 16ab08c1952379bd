/**
 * Pure: an app's logs, merged from its replicas. The engine answers a container's logs as
 * frames (stdout and stderr multiplexed, 8-byte headers) of lines that start with the time
 * Docker received them (`timestamps: true`); each replica's lines come back in order, and the
 * replicas' lists are merged by that time.
 */
import type { LogLine } from '../shared/api-types.ts';

export type LogStream = LogLine['stream'];

/**
 * The frames of a multiplexed log answer, by stream. A container with a TTY answers raw
 * text (no headers): all of it is stdout. A frame cut short at the end is kept as far as it goes.
 */
export function demuxLogs(buf: Buffer): { stream: LogStream; text: string }[] {
  const multiplexed = buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!multiplexed) return buf.length ? [{ stream: 'stdout', text: buf.toString('utf8') }] : [];
  const out: { stream: LogStream; text: string }[] = [];
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    out.push({ stream: buf[i] === 2 ? 'stderr' : 'stdout', text: buf.subarray(i + 8, i + 8 + len).toString('utf8') });
    i += 8 + len;
  }
  return out;
}

/** The whole text of a multiplexed answer, streams interleaved as they came. */
export function demuxText(buf: Buffer): string {
  return demuxLogs(buf)
    .map((f) => f.text)
    .join('');
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?/;

/**
 * A time as Docker writes it (RFC 3339, 0 to 9 digits of fraction) with the fraction always
 * 9 digits, so that times order as strings; null if it is not one.
 */
export function normalizeLogTime(s: string): string | null {
  const m = STAMP.exec(s);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : null;
}

/**
 * One replica's lines from its frames. A frame may hold several lines, and a line may span
 * frames (a long write): text is joined per stream up to each newline. A line without a
 * time (none should be) takes the time of the line before it.
 */
export function logLines(frames: { stream: LogStream; text: string }[], replica: string, node: string): LogLine[] {
  const out: LogLine[] = [];
  const pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  let last = '0000-00-00T00:00:00.000000000Z';
  const emit = (stream: LogStream, raw: string): void => {
    const m = STAMP.exec(raw);
    const at = m ? normalizeLogTime(raw)! : last;
    last = at;
    out.push({ at, replica, node, stream, text: m ? raw.slice(m[0].length) : raw });
  };
  for (const f of frames) {
    const parts = (pending[f.stream] + f.text).split('\n');
    pending[f.stream] = parts.pop()!;
    for (const p of parts) emit(f.stream, p);
  }
  for (const s of ['stdout', 'stderr'] as const) if (pending[s]) emit(s, pending[s]);
  return out;
}

/**
 * Every replica's lines in time order; lines of the same time keep their replica's order
 * (a stable merge). `tail`: only the last that many of the merged lines.
 */
export function mergeLogs(perReplica: LogLine[][], tail?: number): LogLine[] {
  const all = perReplica.flat();
  // Array.prototype.sort is stable: equal times keep the order of flat(), which is each replica's own
  all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return tail === undefined ? all : all.slice(Math.max(0, all.length - tail));
}

/** Docker's `since` for lines after `at` (a normalized time): Unix seconds with the nanoseconds. */
export function dockerSince(at: string): string {
  const secs = Math.floor(Date.parse(`${at.slice(0, 19)}Z`) / 1000);
  return `${secs}.${at.slice(20, 29)}`;
}
