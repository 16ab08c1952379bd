/** `matrix token ...`: API tokens with roles (viewer reads, deployer changes apps, admin also nodes and tokens). */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { TokenRole } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { listCommand, table } from '../output.ts';

const ROLES: TokenRole[] = ['viewer', 'deployer', 'admin'];

export function tokenCommands(program: Command): void {
  const t = program
    .command('token')
    .description('API tokens with roles: viewer (read), deployer (also deploy, scale, rm, rollback), admin (also nodes and tokens)');
  t.command('create')
    .description('create a token and print it once (only its hash is kept); give it to a person or a CI job as MATRIX_TOKEN')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--name <name>', 'what the token is for (default: the role)')
    .action(async (o: { role: string; name?: string }) => {
      if (!ROLES.includes(o.role as TokenRole))
        throw new MatrixError('E_BAD_REQUEST', `must be one of ${ROLES.join(', ')}, got "${o.role}"`, { path: '--role' });
      const r = await ApiClient.fromEnv().createToken(o.role as TokenRole, o.name);
      console.log(`token ${r.id} (${r.name}, ${r.role}):`);
      console.log(r.token);
      console.log('it is not shown again; revoke it with `matrix token revoke ' + r.id + '`');
    });
  listCommand(
    t.command('ls').description('list tokens (never the tokens themselves)'),
    (api) => api.tokens(),
    (list) =>
      console.log(
        table(
          ['ID', 'NAME', 'ROLE', 'CREATED'],
          list.map((x) => [x.id, x.name, x.role, x.createdAt ?? '-']),
        ),
      ),
  );
  t.command('revoke <id>')
    .description('revoke a token at once')
    .action(async (id: string) => {
      await ApiClient.fromEnv().revokeToken(id);
      console.log(`revoked ${id}`);
    });
}
