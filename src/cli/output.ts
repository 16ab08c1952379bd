/** Plain-text tables and error printing for the CLI. */
import { formatError, isMatrixError, type MatrixError } from '../core/errors.ts';

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
