import { describe, expect, it } from 'vitest';
import { MatrixError } from '../core/errors.ts';
import { errorLines, printedJson, table, wantsJson } from './output.ts';

describe('cli output', () => {
  it('aligns table columns', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xx', 1],
          ['y', 22],
        ],
      ),
    ).toBe('A   LONGER\nxx  1\ny   22');
  });

  it('prints one error line per problem with its path', () => {
    const e = new MatrixError('E_PLAN_SYNTAX', '2 problems', {
      details: [
        new MatrixError('E_PLAN_SYNTAX', 'expected 4 fields', { path: 'p.plan:2' }),
        new MatrixError('E_PORT_RANGE', 'ext port 70000 is out of range', { path: 'p.plan:3' }),
      ],
    });
    expect(errorLines(e)).toEqual(['error[E_PLAN_SYNTAX]: p.plan:2: expected 4 fields', 'error[E_PORT_RANGE]: p.plan:3: ext port 70000 is out of range']);
    const unexpected = errorLines(new TypeError('x is not a function\n    at f (file.ts:1:1)'), '/h/cli.log');
    expect(unexpected).toEqual(['error[E_INTERNAL]: x is not a function (a bug in cloudmatrix; details in /h/cli.log)']);
  });
});

describe('-o of list commands', () => {
  it('prints the API objects as JSON for json, nothing for text, and refuses any other format with the flag', () => {
    const logged: string[] = [];
    const log = console.log;
    console.log = (s: string) => logged.push(s);
    try {
      expect(printedJson({ output: 'text' }, [{ a: 1 }])).toBe(false);
      expect(printedJson({}, [{ a: 1 }])).toBe(false);
      expect(printedJson({ output: 'json' }, [{ a: 1 }])).toBe(true);
    } finally {
      console.log = log;
    }
    expect(logged.map((l) => JSON.parse(l) as unknown)).toEqual([[{ a: 1 }]]);
    for (const output of ['yaml', 'JSON', ''])
      expect(() => wantsJson({ output })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: '--output' }));
  });
});
