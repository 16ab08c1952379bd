/** Plain-text tables and error printing for the CLI. */
import { formatError, isMatrixError, type MatrixError } from '../core/errors.ts';

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `error[E_CODE]: path: message`, one line per problem. */
export function errorLines(e: unknown): string[] {
  if (!isMatrixError(e)) return [formatError({ code: 'E_INTERNAL', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })];
  const m = e as MatrixError;
  if (m.details?.length) return m.details.flatMap((d) => errorLines(d));
  return [formatError(m)];
}
