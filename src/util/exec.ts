/** The one place that runs external commands built elsewhere as argv arrays. */
import { execFile } from 'node:child_process';
import { MatrixError, type ErrorCode } from '../core/errors.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs argv; never throws for a non-zero exit (callers decide), only for a missing binary. */
export function run(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new MatrixError('E_INTERNAL', 'empty command');
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && e.code === 'ENOENT') {
        reject(new MatrixError('E_INTERNAL', `command not found: ${cmd} (is its package installed?)`));
        return;
      }
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs argv and throws `code` with the command's stderr when it fails. */
export async function runOk(argv: string[], code: ErrorCode = 'E_INTERNAL', opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new MatrixError(code, `\`${argv.join(' ')}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  }
  return r.stdout;
}
