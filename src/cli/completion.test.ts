import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { bashScript, completionTable, zshScript } from './completion.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

/** The real CLI's script, run by real bash: what COMPREPLY holds for a command line typed so far. */
function complete(script: string, line: string[]): string[] {
  const words = line.map((w) => `'${w}'`).join(' ');
  // `matrix __complete` stands in for the manager here: two apps and two nodes
  const run = `
matrix() { if [[ "$1 $2" == "__complete app" ]]; then printf 'web\\nworker\\n'; elif [[ "$1 $2" == "__complete node" ]]; then printf 'node1\\nnode2\\n'; fi; }
${script}
COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}
_matrix_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', run], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('shell completion', () => {
  it('lists every visible command path with its subcommands, options and the kind of name it takes', () => {
    const p = new Command('matrix');
    p.command('logs <app>').option('-f, --follow');
    const node = p.command('node');
    node.command('drain <node>').option('--timeout <s>');
    p.command('__complete <kind>', { hidden: true });
    expect(completionTable(p)).toEqual({
      '': { subcommands: ['logs', 'node'], options: ['--help'], arg: null },
      logs: { subcommands: [], options: ['--follow', '--help', '-f'], arg: 'app' },
      node: { subcommands: ['drain'], options: ['--help'], arg: null },
      'node drain': { subcommands: [], options: ['--help', '--timeout'], arg: 'node' },
    });
  });

  it("completes the real CLI's commands, subcommands, options, and app and node names, in bash", () => {
    const script = execFileSync(process.execPath, ['--import', 'tsx', MAIN, 'completion', 'bash'], { encoding: 'utf8' });
    expect(complete(script, ['matrix', 'lo'])).toEqual(['logs']);
    expect(complete(script, ['matrix', 'node', 'dr'])).toEqual(['drain']);
    expect(complete(script, ['matrix', 'node', 'drain', 'n'])).toEqual(['node1', 'node2']);
    expect(complete(script, ['matrix', 'logs', 'w'])).toEqual(['web', 'worker']);
    expect(complete(script, ['matrix', 'logs', '--fo'])).toEqual(['--follow']);
    expect(complete(script, ['matrix', 'logs', '-f', 'wo'])).toEqual(['worker']); // options before the name are skipped
    expect(complete(script, ['matrix', 'stats', '--'])).toEqual(['--help', '--interval', '--output', '--watch']);
    expect(complete(script, ['matrix', '__c'])).toEqual([]); // hidden
  });

  it('gives zsh the bash script through bashcompinit, and refuses another shell', () => {
    const table = { '': { subcommands: ['ps'], options: ['--help'], arg: null } };
    expect(zshScript(table)).toContain('bashcompinit');
    expect(zshScript(table)).toContain(bashScript(table));
    const bad = (() => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', MAIN, 'completion', 'fish'], { encoding: 'utf8', stdio: 'pipe' });
        return '';
      } catch (e) {
        return String((e as { stderr: string }).stderr);
      }
    })();
    expect(bad).toContain('error[E_BAD_REQUEST]: shell: must be bash or zsh, got "fish"');
  });
});
