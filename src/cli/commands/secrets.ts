/** `matrix secret ...`: values apps receive as files on tmpfs (or env), kept encrypted by the manager. */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { isMatrixError, MatrixError } from '../../core/errors.ts';
import { checkSecretValue, SECRET_LIMITS } from '../../core/secrets.ts';
import { ApiClient } from '../api-client.ts';
import { listCommand, table } from '../output.ts';
import { printChange } from './deploy.ts';

export function secretCommands(program: Command): void {
  const s = program.command('secret').description('secrets apps receive as files under /run/secrets (or env): stored encrypted, never shown');
  s.command('set <name>')
    .description('create or replace a secret from stdin or --file; apps that receive it roll to the new value')
    .option('--file <path>', 'read the value from a file instead of stdin')
    .addHelpText(
      'after',
      `
The value is read as bytes, exactly (a trailing newline is kept; use printf, not echo):
  printf %s 'hunter2' | matrix secret set db-password
  matrix secret set tls-key --file key.pem
Apps name it in matrix.yaml (\`secrets: [db-password]\` -> /run/secrets/db-password)
or in a compose file (service \`secrets:\`, top-level \`secrets: { db-password: { external: true } }\`).`,
    )
    .action(async (name: string, o: { file?: string }) => {
      const value = o.file !== undefined ? readValueFile(o.file) : await readStdin();
      const bad = checkSecretValue(value.length);
      if (bad) throw new MatrixError('E_BAD_REQUEST', bad, { path: o.file ?? 'stdin' });
      const r = await ApiClient.fromEnv().setSecret(name, value);
      console.log(`${r.created ? 'created' : 'updated'} secret ${r.secret.name} (version ${r.secret.version}, ${r.secret.bytes} bytes)`);
      if (r.change) {
        console.log(`rolling ${r.secret.usedBy.join(', ')} to the new version (generation ${r.change.generation})`);
        printChange(r.change);
      }
    });
  listCommand(
    s.command('ls').description('list secrets: name, version, size, the apps that receive them (never the values)'),
    (api) => api.secrets(),
    (list) => {
      if (!list.length) return console.log('no secrets (`matrix secret set <name>` creates one)');
      console.log(
        table(
          ['NAME', 'VERSION', 'BYTES', 'UPDATED', 'USED BY'],
          list.map((x) => [x.name, String(x.version), String(x.bytes), x.updatedAt, x.usedBy.join(',') || '-']),
        ),
      );
    },
  );
  s.command('rm <name>')
    .description('remove a secret (refused while an app receives it)')
    .action(async (name: string) => {
      await ApiClient.fromEnv().removeSecret(name);
      console.log(`removed secret ${name}`);
    });
}

function readValueFile(path: string): Buffer {
  try {
    const st = statSync(path);
    // a device or a huge file is refused before reading it (`--file /dev/zero` would never end)
    if (!st.isFile()) throw new MatrixError('E_BAD_REQUEST', `${path} is not a regular file`, { path: '--file' });
    if (st.size > SECRET_LIMITS.valueBytes)
      throw new MatrixError('E_BAD_REQUEST', `${path} is ${st.size} bytes; a secret is at most ${SECRET_LIMITS.valueBytes}`, { path: '--file' });
    return readFileSync(path);
  } catch (e) {
    if (isMatrixError(e)) throw e;
    throw new MatrixError('E_BAD_REQUEST', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: '--file' });
  }
}

/** All of stdin, stopping early once it is over the limit (a mistaken `< /dev/zero` must not eat memory). */
async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) console.error('type the value, then Ctrl-D (it is read exactly, newline included)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > SECRET_LIMITS.valueBytes) break;
  }
  return Buffer.concat(chunks);
}
