/**
 * Limits checked before any parser sees a spec, in one linear pass: a parser is never
 * handed input that makes it slow or kills the process (the YAML parser dies of deep flow
 * nesting like 20 KB of `[`, and its duplicate-key check is quadratic). Each limit has its
 * own error code, documented in docs/errors.md.
 */
import { MatrixError } from '../errors.ts';

export const SPEC_LIMITS = Object.freeze({
  /** Bytes of spec text (UTF-8). */
  bytes: 1024 * 1024,
  lines: 10_000,
  /** Nesting of YAML flow collections (`[`, `{`) and of block indentation levels. */
  depth: 32,
  /** Keys in one YAML document, counted while reading it. */
  keys: 10_000,
  /** Problems reported for one input; the count of the rest is given. */
  problems: 100,
});

/** Throws E_INPUT_TOO_LARGE, E_INPUT_TOO_MANY_LINES or E_INPUT_TOO_DEEP; otherwise returns. */
export function checkSpecText(text: string, file: string): void {
  const bytes = utf8Length(text);
  if (bytes > SPEC_LIMITS.bytes)
    throw new MatrixError('E_INPUT_TOO_LARGE', `the file is ${bytes} bytes; at most ${SPEC_LIMITS.bytes} are accepted`, { path: file });
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  if (lines > SPEC_LIMITS.lines)
    throw new MatrixError('E_INPUT_TOO_MANY_LINES', `the file has ${lines} lines; at most ${SPEC_LIMITS.lines} are accepted`, { path: file });
  const deep = nestingTooDeep(text, SPEC_LIMITS.depth);
  if (deep) throw new MatrixError('E_INPUT_TOO_DEEP', `nesting deeper than ${SPEC_LIMITS.depth} levels`, { path: `${file}:${deep}` });
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair is one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The first line where flow collections (`[`, `{`, outside quotes and comments) or block
 * indentation (distinct indentation levels open at once) go deeper than `max`; 0 if none.
 * Linear; a `[` inside a block scalar counts too, which only makes the check stricter.
 */
export function nestingTooDeep(text: string, max: number): number {
  let flow = 0;
  let line = 1;
  let quote: '"' | "'" | null = null;
  let atLineStart = true;
  let indent = 0;
  const levels: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      atLineStart = true;
      indent = 0;
      if (quote === "'") quote = null; // a single-quoted scalar may span lines, but never mind: stricter
      continue;
    }
    if (atLineStart) {
      if (ch === ' ') {
        indent++;
        continue;
      }
      atLineStart = false;
      if (ch !== '#' && flow === 0 && quote === null) {
        while (levels.length && levels[levels.length - 1]! >= indent) levels.pop();
        levels.push(indent);
        // `- - - x` nests sequences on one line: each `- ` is one more level
        let dashes = 0;
        for (let j = i; text[j] === '-' && (text[j + 1] === ' ' || text[j + 1] === '\t'); j += 2) dashes++;
        if (levels.length + Math.max(0, dashes - 1) > max) return line;
      }
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = (end === -1 ? text.length : end) - 1;
    } else if (ch === '[' || ch === '{') {
      if (++flow > max) return line;
    } else if ((ch === ']' || ch === '}') && flow > 0) flow--;
  }
  return 0;
}
