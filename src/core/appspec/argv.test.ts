import { describe, expect, it } from 'vitest';
import { ARGV_LIMITS, readArgv } from './argv.ts';
import { Collector } from './fields.ts';

function read(v: unknown): { argv: string[] | undefined; problems: [string | undefined, string][] } {
  const c = new Collector('matrix.yaml');
  const argv = readArgv(v, 'apps.web.command', c);
  return { argv, problems: c.problems.map((p) => [p.path, p.message]) };
}

describe('readArgv', () => {
  it('takes a list as written: spaces, quotes and $ stay in their word', () => {
    expect(read(['sh', '-c', 'echo "$HOME" | wc -c > /tmp/x'])).toEqual({ argv: ['sh', '-c', 'echo "$HOME" | wc -c > /tmp/x'], problems: [] });
    expect(read(['nc', '-l', '-p', 8080, true])).toEqual({ argv: ['nc', '-l', '-p', '8080', 'true'], problems: [] });
  });

  it('splits a string into words as a shell would, quotes and backslashes included', () => {
    expect(read('nc -lk -p 8080').argv).toEqual(['nc', '-lk', '-p', '8080']);
    expect(read(`sh -c 'echo $HOME; ls *'`).argv).toEqual(['sh', '-c', 'echo $HOME; ls *']);
    expect(read('echo "a  b" c\\ d').argv).toEqual(['echo', 'a  b', 'c d']);
  });

  it.each([
    ['echo $HOME', '$HOME would be expanded by a shell'],
    ['echo "${HOME}"', '$HOME would be expanded by a shell'],
    ['ls *.txt', '"*.txt" would be expanded by a shell'],
    ['a | b', '"|" needs a shell, and none runs this: write ["sh", "-c", "…"]'],
    ['a > out', '">" needs a shell'],
    ['a && b', '"&&" needs a shell'],
    ['run # the server', '"# the server" would be a comment in a shell'],
  ])('refuses %j in a string, pointing to the list form', (v, message) => {
    const r = read(v);
    expect(r.argv).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]![0]).toBe('apps.web.command');
    expect(r.problems[0]![1]).toContain(message);
  });

  it.each([
    ['', 'apps.web.command', 'must not be empty'],
    ['   ', 'apps.web.command', 'must not be empty'],
    [[], 'apps.web.command', 'must not be empty'],
    [{ cmd: 'x' }, 'apps.web.command', 'must be a list of strings'],
    [42, 'apps.web.command', 'must be a list of strings'],
    [['ok', { a: 1 }], 'apps.web.command[1]', 'must be a string, got a mapping'],
    [['ok', null], 'apps.web.command[1]', 'must be a string'],
    [['a\0b'], 'apps.web.command[0]', 'must not contain a NUL character'],
    [['x'.repeat(ARGV_LIMITS.wordChars + 1)], 'apps.web.command[0]', `at most ${ARGV_LIMITS.wordChars}`],
    [Array(ARGV_LIMITS.words + 1).fill('a'), 'apps.web.command', `at most ${ARGV_LIMITS.words}`],
  ])('refuses %j at %s', (v, path, message) => {
    const r = read(v);
    expect(r.argv).toBeUndefined();
    expect(r.problems.map(([p]) => p)).toContain(path);
    expect(r.problems.find(([p]) => p === path)![1]).toContain(message);
  });
});
