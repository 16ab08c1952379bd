/** Plain-text tables and error printing for the CLI. */
import type { Command } from 'commander';
import { ApiClient } from './api-client.ts';
import { formatError, isMatrixError, MatrixError as Problem, type MatrixError } from '../core/errors.ts';

/**
 * A list command with `-o, --output text|wide|json`: the format is checked before any
 * request, then `fetch` asks the API; json prints what it answered (or the part `shown`
 * picks), text and wide hand it to `print` (wide: with the columns `wideColumns` keeps for it).
 */
export function listCommand<T>(
  cmd: Command,
  fetch: (api: ApiClient) => Promise<T>,
  print: (data: T, api: ApiClient, wide: boolean) => void | Promise<void>,
  shown: (data: T) => unknown = (d) => d,
): Command {
  return cmd
    .option('-o, --output <format>', 'text (a table), wide (a table with more columns) or json (what the API answers, as JSON)', 'text')
    .action(async (o: { output?: string }) => {
      const format = outputFormat(o, ['text', 'wide', 'json']);
      const api = ApiClient.fromEnv();
      const data = await fetch(api);
      if (format === 'json') console.log(JSON.stringify(shown(data), null, 2));
      else await print(data, api, format === 'wide');
    });
}

/** The `-o` format asked for, one of `allowed`; anything else is refused with the flag. */
export function outputFormat<F extends string>(o: { output?: string }, allowed: readonly F[]): F {
  const f = (o.output ?? 'text') as F;
  if (!allowed.includes(f))
    throw new Problem('E_BAD_REQUEST', `must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}, got "${o.output}"`, { path: '--output' });
  return f;
}

/** Whether `-o json` was asked for (commands whose text is not a table); anything but text or json is refused with the flag. */
export function wantsJson(o: { output?: string }): boolean {
  return outputFormat(o, ['text', 'json']) === 'json';
}

/**
 * The API names a bad query parameter by its name (`since`); the user typed a flag
 * (`--since`): an error at one of `flags`' parameters is given again at the flag.
 */
export async function atFlags<T>(p: Promise<T>, flags: Record<string, string>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!isMatrixError(e) || e.path === undefined || flags[e.path] === undefined) throw e;
    throw new Problem(e.code, e.message, { path: flags[e.path] });
  }
}

/** A column of a list table; `wide`: shown with `-o wide` only. */
export interface Column<R> {
  head: string;
  cell: (row: R) => string | number;
  wide?: boolean;
}

/** A table of `rows` with the columns for the format: every one with `-o wide`, the others without. */
export function columnsTable<R>(columns: Column<R>[], rows: R[], wide: boolean): string {
  const shown = columns.filter((c) => wide || !c.wide);
  return table(
    shown.map((c) => c.head),
    rows.map((r) => shown.map((c) => c.cell(r))),
  );
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
