/**
 * `matrix completion bash|zsh`: a completion script made from the program's own commands and
 * options (so it never falls behind them), and `matrix __complete apps|nodes`, which the
 * script calls for an argument that names an app or a node.
 */
import type { Command } from 'commander';

/** What can follow one command path (`""`, `"node"`, `"node drain"`). */
export interface CompletionEntry {
  subcommands: string[];
  options: string[];
  /** The kind of name its first argument takes, completed from the cluster; null for none or free text. */
  arg: 'app' | 'node' | null;
}

/** Pure: the table of every command path, from the commander tree. Hidden commands are left out. */
export function completionTable(program: Command): Record<string, CompletionEntry> {
  const out: Record<string, CompletionEntry> = {};
  const walk = (cmd: Command, path: string): void => {
    const visible = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    const first = cmd.registeredArguments[0]?.name() ?? '';
    out[path] = {
      subcommands: visible.map((c) => c.name()).sort(),
      options: [...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))), '--help'].sort(),
      arg: /^app/.test(first) ? 'app' : first === 'node' ? 'node' : null,
    };
    for (const c of visible) walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return out;
}

/** Pure: a bash completion function over the table; zsh runs it through bashcompinit. */
export function bashScript(table: Record<string, CompletionEntry>, bin = 'matrix'): string {
  const cases = Object.entries(table)
    .map(([path, e]) => `    '${path}') words='${[...e.subcommands, ...e.options].join(' ')}'; arg='${e.arg ?? ''}' ;;`)
    .join('\n');
  const fn = `_${bin.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  return `# ${bin} completion for bash (and zsh, through bashcompinit): made by \`${bin} completion\`
${fn}() {
  local cur path="" w i words arg
  cur="\${COMP_WORDS[COMP_CWORD]}"
  # the command path: the words before the current one that are not options
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${Object.keys(table)
  .filter((p) => p !== '')
  .map((p) => `      '${p}') path="${p}" ;;`)
  .join('\n')}
      *) break ;;
    esac
  done
  case "$path" in
${cases}
    *) words=''; arg='' ;;
  esac
  if [[ "$cur" != -* && -n "$arg" ]]; then
    words="$words $(${bin} __complete "$arg" 2>/dev/null)"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F ${fn} ${bin}
`;
}

export function zshScript(table: Record<string, CompletionEntry>, bin = 'matrix'): string {
  return `# ${bin} completion for zsh: bash's, through bashcompinit
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(table, bin)}`;
}
