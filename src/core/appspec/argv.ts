/**
 * `command:` and `entrypoint:` (matrix.yaml and compose): Docker's Cmd and Entrypoint, so one
 * image can play several roles. A list is the exec form, taken as written; a string is split
 * into words as a shell would (quotes and backslashes), as Compose does, but no shell runs
 * it: what only a shell would do (`$VAR`, `*`, `|`, `>`, `&&`, `#`) is refused with the
 * list form to use instead.
 */
import { parse } from 'shell-quote';
import { at, typeName, type Collector } from './fields.ts';

export const ARGV_LIMITS = { words: 256, wordChars: 8192 } as const;

export function readArgv(v: unknown, path: string, c: Collector): string[] | undefined {
  const before = c.problems.length;
  let words: string[];
  if (typeof v === 'string') {
    words = [];
    const vars: string[] = [];
    // a variable comes back as this object, where a shell would expand it
    for (const w of parse(v, (name) => (vars.push(name), { variable: name }))) {
      if (typeof w === 'string') words.push(w);
      else if ('variable' in w) continue;
      else if ('comment' in w) c.error(path, `"#${w.comment}" would be a comment in a shell, and no shell runs this: write the command as a list`);
      else if (w.op === 'glob') c.error(path, `"${w.pattern}" would be expanded by a shell, and no shell runs this: write the command as a list`);
      else c.error(path, `"${w.op}" needs a shell, and none runs this: write ["sh", "-c", "…"]`);
    }
    for (const name of new Set(vars))
      c.error(path, `$${name} would be expanded by a shell, and no shell runs this: write ["sh", "-c", "…"], or a list to pass it as written`);
    if (words.length === 0 && c.problems.length === before) c.error(path, 'must not be empty');
  } else if (Array.isArray(v)) {
    words = [];
    v.forEach((w, i) => {
      if (typeof w === 'string') words.push(w);
      else if (typeof w === 'number' || typeof w === 'boolean') words.push(String(w));
      else c.error(at(path, i), `must be a string, got ${typeName(w)}`);
    });
    if (v.length === 0) c.error(path, 'must not be empty (leave it out to keep the image’s own)');
  } else {
    c.error(path, `must be a list of strings (["nc", "-l", "-p", "8080"]) or a string, got ${typeName(v)}`);
    return undefined;
  }
  if (words.length > ARGV_LIMITS.words) c.error(path, `has ${words.length} words; at most ${ARGV_LIMITS.words}`);
  words.forEach((w, i) => {
    if (w.includes('\0')) c.error(Array.isArray(v) ? at(path, i) : path, 'must not contain a NUL character');
    else if (w.length > ARGV_LIMITS.wordChars)
      c.error(Array.isArray(v) ? at(path, i) : path, `a word is ${w.length} characters long; at most ${ARGV_LIMITS.wordChars}`);
  });
  return c.problems.length > before ? undefined : words;
}
