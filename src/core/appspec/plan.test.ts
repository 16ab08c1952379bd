import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import { parsePlan, problemsError } from './plan.ts';

const SEED = `#app name     node      ext. port   int. port
simplewebapp1 node25    5050        8080
simplewebapp1 node108   5050        8080
`;

/** Runs parsePlan expecting it to throw, and returns the error. */
function fail(text: string, file?: string): MatrixError {
  try {
    parsePlan(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('parsePlan did not throw');
}

describe('parsePlan: valid input', () => {
  it('reads the seed plan as is', () => {
    expect(parsePlan(SEED)).toEqual([
      { app: 'simplewebapp1', node: 'node25', hostPort: 5050, containerPort: 8080, line: 2 },
      { app: 'simplewebapp1', node: 'node108', hostPort: 5050, containerPort: 8080, line: 3 },
    ]);
  });

  it('accepts tabs, mixed whitespace, leading/trailing spaces', () => {
    const p = parsePlan('\tweb \t node1\t\t80   8080  \n');
    expect(p).toEqual([{ app: 'web', node: 'node1', hostPort: 80, containerPort: 8080, line: 1 }]);
  });

  it('tolerates CRLF and keeps line numbers', () => {
    const p = parsePlan('# c\r\n\r\nweb node1 80 8080\r\nweb node2 80 8080\r\n');
    expect(p.map((l) => [l.node, l.line])).toEqual([
      ['node1', 3],
      ['node2', 4],
    ]);
    expect(p[0]?.containerPort).toBe(8080);
  });

  it('ignores trailing comments, including ones glued to a field', () => {
    const p = parsePlan('web node1 80 8080 # primary\nweb node2 81 8080#second\n');
    expect(p.map((l) => [l.hostPort, l.containerPort])).toEqual([
      [80, 8080],
      [81, 8080],
    ]);
  });

  it('ignores blank and whitespace-only lines and comment-only lines', () => {
    expect(parsePlan('\n   \n\t\n# only comments\n   # indented comment\n')).toEqual([]);
  });

  it('an empty plan is valid and means run nothing', () => {
    expect(parsePlan('')).toEqual([]);
    expect(parsePlan('#app name node ext int\n')).toEqual([]);
  });

  it('accepts the port bounds 1 and 65535', () => {
    expect(parsePlan('a n 1 65535')[0]).toMatchObject({ hostPort: 1, containerPort: 65535 });
  });

  it('the same ext port on different nodes is fine; different ext ports on one node are fine', () => {
    expect(parsePlan('a n1 80 80\na n2 80 80\nb n1 81 80\n')).toHaveLength(3);
  });

  it('accepts names with digits and dashes, node names starting with a digit, 63-char names', () => {
    const long = 'a'.repeat(63);
    const p = parsePlan(`web-app-2 10-0-0-1 80 80\n${long} ${long} 81 80\n`);
    expect(p.map((l) => l.node)).toEqual(['10-0-0-1', long]);
  });

  it('tolerates a leading byte-order mark', () => {
    expect(parsePlan('\uFEFFweb node1 80 8080\n')).toHaveLength(1);
  });
});

describe('parsePlan: problems', () => {
  it('wrong field count is E_PLAN_SYNTAX with the count and the expected shape', () => {
    const e = fail('web node1 80\n');
    expect(e.code).toBe('E_PLAN_SYNTAX');
    expect(e.message).toBe('1 problem in applications.plan');
    expect(e.details).toHaveLength(1);
    const d = e.details![0]!;
    expect(d.code).toBe('E_PLAN_SYNTAX');
    expect(d.path).toBe('applications.plan:1');
    expect(d.message).toContain('`app node extport intport`');
    expect(d.message).toContain('got 3 fields');
  });

  it('too many fields (a comment without #) is reported too', () => {
    const d = fail('web node1 80 8080 primary\n').details![0]!;
    expect(d.message).toContain('got 5 fields');
  });

  it('one field says "1 field"', () => {
    expect(fail('web\n').details![0]!.message).toContain('got 1 field');
  });

  it.each(['Web', 'web_app', '1web', '-web', 'web-', 'web.app', 'a'.repeat(64), 'wéb'])('bad app name %s', (app) => {
    const d = fail(`${app} node1 80 8080`).details![0]!;
    expect(d.code).toBe('E_PLAN_SYNTAX');
    expect(d.message).toContain(`bad app name "${app}"`);
    expect(d.message).toContain('not ending in "-", at most 63');
    expect(d.message).toMatch(/URL/);
  });

  it.each(['Node1', '-node', 'node_1', 'node.matrix', 'n'.repeat(64)])('bad node name %s', (node) => {
    const d = fail(`web ${node} 80 8080`).details![0]!;
    expect(d.code).toBe('E_PLAN_SYNTAX');
    expect(d.message).toContain(`bad node name "${node}"`);
  });

  it.each(['0', '65536', '99999', '-1', '80.0', '0x50', '1e3', '+80', 'http', '123456'])('bad ext port %s', (port) => {
    const d = fail(`web node1 ${port} 8080`).details![0]!;
    expect(d.code).toBe('E_PORT_RANGE');
    expect(d.message).toContain('ext. port');
    expect(d.message).toContain(`"${port}"`);
  });

  it('bad int port names the int. port', () => {
    const d = fail('web node1 80 70000').details![0]!;
    expect(d.code).toBe('E_PORT_RANGE');
    expect(d.message).toContain('int. port "70000"');
  });

  it('reports every problem of one line', () => {
    const e = fail('Web Node 0 0');
    expect(e.details!.map((d) => d.code)).toEqual(['E_PLAN_SYNTAX', 'E_PLAN_SYNTAX', 'E_PORT_RANGE', 'E_PORT_RANGE']);
    expect(e.message).toBe('4 problems in applications.plan');
  });

  it('same node + ext port twice is E_PORT_CONFLICT naming the earlier line', () => {
    const d = fail('a node1 80 8080\n\nb node1 80 9090\n').details![0]!;
    expect(d.code).toBe('E_PORT_CONFLICT');
    expect(d.path).toBe('applications.plan:3');
    expect(d.message).toContain('line 1');
    expect(d.message).toContain('80');
    expect(d.message).toContain('node1');
  });

  it('a third duplicate still names the first line', () => {
    const e = fail('a n 80 80\na n 80 80\na n 80 80\n');
    expect(e.details!.map((d) => [d.path, d.message.includes('line 1')])).toEqual([
      ['applications.plan:2', true],
      ['applications.plan:3', true],
    ]);
  });

  it('an invalid line does not claim its port', () => {
    const e = fail('a n 80 0\na n 80 80\n');
    expect(e.details!.map((d) => d.code)).toEqual(['E_PORT_RANGE']);
  });

  it('collects problems across lines, in order, with the first code on top and the file name in paths', () => {
    const e = fail('ok n1 80 80\nbad\nok n1 99999 80\nok n1 80 80\n', 'prod.plan');
    expect(e.code).toBe('E_PLAN_SYNTAX');
    expect(e.message).toBe('3 problems in prod.plan');
    expect(e.details!.map((d) => [d.code, d.path])).toEqual([
      ['E_PLAN_SYNTAX', 'prod.plan:2'],
      ['E_PORT_RANGE', 'prod.plan:3'],
      ['E_PORT_CONFLICT', 'prod.plan:4'],
    ]);
    expect(e.details!.every((d) => d instanceof MatrixError)).toBe(true);
  });

  it("the top-level code is the first problem's code", () => {
    expect(fail('a n 0 80\nb\n').code).toBe('E_PORT_RANGE');
  });

  it('serialises to JSON with details for the API', () => {
    const j = fail('a n 0 80').toJSON();
    expect(j).toMatchObject({ code: 'E_PORT_RANGE', details: [{ code: 'E_PORT_RANGE', path: 'applications.plan:1' }] });
  });
});

describe('problemsError', () => {
  it('refuses an empty list (a caller bug)', () => {
    expect(() => problemsError('f', [])).toThrow();
  });
});
