import { describe, expect, it, onTestFinished } from 'vitest';
import { MatrixError } from '../core/errors.ts';
import { Command } from 'commander';
import { atFlags, columnsTable, errorLines, listCommand, table, wantsJson } from './output.ts';

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
  /** Runs a list command made by listCommand with `args`; what it printed, and what reached `print`. */
  async function run(args: string[]) {
    const logged: string[] = [];
    const printed: unknown[] = [];
    let fetched = 0;
    const cmd = listCommand(
      new Command('ls').exitOverride(),
      async () => (fetched++, [{ a: 1, hidden: 2 }]),
      (d, _api, wide) => void printed.push(wide ? { wide: d } : d),
      (d) => d.map((x) => ({ a: x.a })),
    );
    const log = console.log;
    console.log = (s: string) => logged.push(s);
    try {
      await cmd.parseAsync(args, { from: 'user' });
    } finally {
      console.log = log;
    }
    return { logged, printed, fetched };
  }

  it('prints what the API answered (the part shown) as JSON for json, hands it to print for text, and refuses any other format with the flag before asking', async () => {
    const token = process.env.MATRIX_TOKEN;
    process.env.MATRIX_TOKEN = 'test-token'; // ApiClient.fromEnv needs one; nothing is sent
    onTestFinished(() => {
      if (token === undefined) delete process.env.MATRIX_TOKEN;
      else process.env.MATRIX_TOKEN = token;
    });
    expect(await run(['-o', 'json'])).toEqual({ logged: [JSON.stringify([{ a: 1 }], null, 2)], printed: [], fetched: 1 });
    expect(await run([])).toEqual({ logged: [], printed: [[{ a: 1, hidden: 2 }]], fetched: 1 });
    expect(await run(['--output', 'text'])).toMatchObject({ printed: [[{ a: 1, hidden: 2 }]] });
    expect(await run(['-o', 'wide'])).toMatchObject({ printed: [{ wide: [{ a: 1, hidden: 2 }] }] });
    for (const output of ['yaml', 'JSON', '']) {
      expect(() => wantsJson({ output })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: '--output' }));
      await expect(run(['-o', output])).rejects.toMatchObject({
        code: 'E_BAD_REQUEST',
        path: '--output',
        message: `must be text, wide or json, got "${output}"`,
      });
    }
    // commands whose text is not a table take no wide
    expect(() => wantsJson({ output: 'wide' })).toThrow(expect.objectContaining({ message: 'must be text or json, got "wide"' }));
  });

  it('shows the wide columns with -o wide only', () => {
    const cols = [
      { head: 'NAME', cell: (r: { n: string; id: string }) => r.n },
      { head: 'ID', cell: (r: { n: string; id: string }) => r.id, wide: true },
    ];
    expect(columnsTable(cols, [{ n: 'web', id: 'c0ffee' }], false)).toBe('NAME\nweb');
    expect(columnsTable(cols, [{ n: 'web', id: 'c0ffee' }], true)).toBe('NAME  ID\nweb   c0ffee');
  });
});

describe('errors at query parameters', () => {
  it('are given again at the flag the user typed; others pass unchanged', async () => {
    const fail = (path?: string) => Promise.reject(new MatrixError('E_BAD_REQUEST', 'must be a duration', path ? { path } : {}));
    await expect(atFlags(fail('since'), { since: '--since' })).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: 'must be a duration', path: '--since' });
    await expect(atFlags(fail('other'), { since: '--since' })).rejects.toMatchObject({ path: 'other' });
    await expect(atFlags(fail(), { since: '--since' })).rejects.toHaveProperty('path', undefined);
    await expect(atFlags(Promise.resolve(7), { since: '--since' })).resolves.toBe(7);
  });
});
