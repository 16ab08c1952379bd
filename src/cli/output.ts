/** Plain-text tables and error printing for the CLI. */
import type { Command } from 'commander';
import { ApiClient } from './api-client.ts';
import { formatError, isMatrixError, MatrixError as Problem, type MatrixError } from '../core/errors.ts';

/**
 * A list command with `-o, --output text|json`: the format is checked before any request,
 * then `fetch` asks the API; json prints what it answered (or the part `shown` picks), text
 * hands it to `print`.
 */
export function listCommand<T>(
  cmd: Command,
  fetch: (api: ApiClient) => Promise<T>,
  print: (data: T, api: ApiClient) => void | Promise<void>,
  shown: (data: T) => unknown = (d) => d,
): Command {
  return cmd.option('-o, --output <format>', 'text (a table) or json (what the API answers, as JSON)', 'text').action(async (o: { output?: string }) => {
    const json = wantsJson(o);
    const api = ApiClient.fromEnv();
    const data = await fetch(api);
    if (json) console.log(JSON.stringify(shown(data), null, 2));
    else await print(data, api);
  });
}

/** Whether `-o json` was asked for; anything but text or json is refused with the flag. */
export function wantsJson(o: { output?: string }): boolean {
  if (o.output !== undefined && o.output !== 'text' && o.output !== 'json') {
    throw new Problem('E_BAD_REQUEST', `must be text or json, got "${o.output}"`, { path: '--output' });
  }
  return o.output === 'json';
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/**
 * `error[E_CODE]: path: message`, one line per problem. An unexpected error is one
 * E_INTERNAL line, never a stack trace: `logFile` says where the details were written.
 */
export function errorLines(e: unknown, logFile?: string): string[] {
  if (!isMatrixError(e)) {
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return [formatError({ code: 'E_INTERNAL', message: `${message} (a bug in cloudmatrix${logFile ? `; details in ${logFile}` : ''})` })];
  }
  const m = e as MatrixError;
  if (m.details?.length) return m.details.flatMap((d) => errorLines(d));
  return [formatError(m)];
}
