/** `matrix logs <app>`: what an app's replicas print, merged from every node in time order. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { LogLine, LogsView } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { atFlags, wantsJson } from '../output.ts';

export interface LogsOptions {
  tail?: string;
  since?: string;
  follow?: boolean;
  timestamps?: boolean;
  output: string;
}

const FOLLOW_EVERY_MS = 1000;
const TAIL_MAX = 10_000;

/** Pure: the `GET /v1/apps/:name/logs` query of the options; when following, `after` (the last line's time) replaces tail and since. */
export function logsQueryString(o: LogsOptions, after?: string): string {
  const q = new URLSearchParams();
  if (after !== undefined) {
    q.set('after', after);
    q.set('tail', String(TAIL_MAX));
    return q.toString();
  }
  if (o.tail !== undefined) {
    if (!/^\d{1,5}$/.test(o.tail) || Number(o.tail) < 1 || Number(o.tail) > TAIL_MAX)
      throw new MatrixError('E_BAD_REQUEST', `must be an integer in 1..${TAIL_MAX}`, { path: '--tail' });
    q.set('tail', o.tail);
  }
  if (o.since !== undefined) q.set('since', o.since);
  return q.toString();
}

/** Pure: one line as printed: the replica and its node (padded to `width`), then what it wrote; stderr marked; the time if asked. */
export function logLineText(l: LogLine, width: number, timestamps = false): string {
  const who = `${l.replica} ${l.node}`.padEnd(width);
  return `${timestamps ? `${l.at} ` : ''}${who} | ${l.stream === 'stderr' ? '[err] ' : ''}${l.text}`;
}

/** Pure: the error lines not printed before (a node that stays down is said once, not at every poll). */
export function newErrors(view: LogsView, said: Set<string>): string[] {
  const out: string[] = [];
  for (const e of view.errors) {
    const line = `${e.replica}: ${e.message}`;
    if (!said.has(line)) out.push(line);
    said.add(line);
  }
  return out;
}

export function logsCommands(program: Command): void {
  program
    .command('logs <app>')
    .description("what an app's replicas print, from every node, merged in time order; each line starts with its replica and node")
    .option('--tail <n>', `the last n lines (1..${TAIL_MAX}, default 200)`)
    .option('--since <when>', 'only since then: a duration back from now (30s, 10m, 2h) or an ISO time')
    .option('-f, --follow', 'then keep printing new lines as they come (Ctrl-C stops)')
    .option('-t, --timestamps', 'start each line with the time the engine received it')
    .option('-o, --output <format>', 'text, or json: one JSON object per line', 'text')
    .action(async (app: string, o: LogsOptions) => {
      const json = wantsJson(o);
      const api = ApiClient.fromEnv();
      const said = new Set<string>();
      let width = 0;
      const print = (view: LogsView): void => {
        for (const e of newErrors(view, said)) console.error(`warning: ${e}`);
        width = Math.max(width, ...view.lines.map((l) => l.replica.length + 1 + l.node.length));
        for (const l of view.lines) console.log(json ? JSON.stringify(l) : logLineText(l, width, o.timestamps));
      };
      const started = new Date().toISOString();
      let view = await atFlags(api.logs(app, logsQueryString(o)), { since: '--since', tail: '--tail' });
      if (!view.lines.length && !o.follow && !json && !view.errors.length) console.error(`${app} has printed nothing${o.since ? ' since then' : ''}`);
      print(view);
      let last = view.lines.at(-1)?.at;
      while (o.follow) {
        await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
        view = await api.logs(app, last ? logsQueryString(o, last) : logsQueryString({ ...o, tail: String(TAIL_MAX), since: started }));
        print(view);
        last = view.lines.at(-1)?.at ?? last;
      }
    });
}
