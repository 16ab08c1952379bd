/** `matrix completion bash|zsh` and the hidden `matrix __complete apps|nodes` its scripts call. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { ApiClient } from '../api-client.ts';
import { bashScript, completionTable, zshScript } from '../completion.ts';

/** A name lookup for completion gives up after this long: a tab press must not hang on an unreachable manager. */
const LOOKUP_MS = 2000;

export function completionCommands(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a completion script for bash or zsh: `source <(matrix completion bash)`, or add that line to ~/.bashrc (~/.zshrc)')
    .action((shell: string) => {
      const table = completionTable(program);
      if (shell === 'bash') process.stdout.write(bashScript(table));
      else if (shell === 'zsh') process.stdout.write(zshScript(table));
      else throw new MatrixError('E_BAD_REQUEST', `must be bash or zsh, got "${shell}"`, { path: 'shell' });
    });
  program
    .command('__complete <kind>', { hidden: true })
    .description('names for completion: apps or nodes, one per line; nothing when the manager does not answer')
    .action(async (kind: string) => {
      setTimeout(() => process.exit(0), LOOKUP_MS).unref();
      try {
        const api = ApiClient.fromEnv();
        const names = kind === 'app' ? (await api.apps()).map((a) => a.name) : kind === 'node' ? (await api.nodes()).map((n) => n.name) : [];
        if (names.length) console.log(names.join('\n'));
      } catch {
        // no manager, no token: no names, and no error on the user's command line
      }
    });
}
