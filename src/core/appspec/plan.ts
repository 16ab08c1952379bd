/**
 * The seed's `applications.plan`: one replica per line, `app node extport intport`.
 * The format is read exactly as the seed wrote it, so old plan files keep working.
 */
import { MatrixError } from '../errors.ts';
import { SPEC_LIMITS } from './limits.ts';

export interface PlanLine {
  app: string;
  node: string;
  hostPort: number;
  containerPort: number;
  /** 1-based line number in the source file, for error paths. */
  line: number;
}

// App names end up in URLs (`/<app>/`), DNS labels and VCL identifiers, so they must be
// safe in all three; uppercase is refused rather than folded so a name means one thing.
/** A DNS label (`<app>.matrix`) that starts with a letter (it is also a URL path segment and a VCL name). */
export const APP_NAME = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const APP_NAME_RULE = 'a lowercase letter first, then lowercase letters, digits or "-", not ending in "-", at most 63';
// Node names are host names (node25, 10-0-0-1 style); they may start with a digit.
export const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const FIELDS = 'app node extport intport';

/** Parses the plan; throws one MatrixError listing every problem so a user fixes all at once. */
export function parsePlan(text: string, file = 'applications.plan'): PlanLine[] {
  const out: PlanLine[] = [];
  const problems: MatrixError[] = [];
  // node + host port -> first line that published it
  const published = new Map<string, number>();

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const path = `${file}:${line}`;
    const problem = (code: 'E_PLAN_SYNTAX' | 'E_PORT_RANGE' | 'E_PORT_CONFLICT', msg: string) => problems.push(new MatrixError(code, msg, { path }));

    const hash = raw.indexOf('#');
    const fields = (hash >= 0 ? raw.slice(0, hash) : raw)
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    if (fields.length === 0) return;
    if (fields.length !== 4) {
      problem('E_PLAN_SYNTAX', `expected \`${FIELDS}\`, got ${fields.length} field${fields.length === 1 ? '' : 's'}`);
      return;
    }
    const [app, node, ext, int] = fields as [string, string, string, string];
    let ok = true;
    if (!APP_NAME.test(app)) {
      ok = false;
      problem('E_PLAN_SYNTAX', `bad app name "${app}": app names are used in URLs, DNS and VCL, so they must be a DNS label: ${APP_NAME_RULE}`);
    }
    if (!NODE_NAME.test(node)) {
      ok = false;
      problem('E_PLAN_SYNTAX', `bad node name "${node}": node names must match ${NODE_NAME.source}`);
    }
    const hostPort = parsePort(ext);
    if (hostPort === null) {
      ok = false;
      problem('E_PORT_RANGE', `ext. port "${ext}" is not an integer in 1..65535`);
    }
    const containerPort = parsePort(int);
    if (containerPort === null) {
      ok = false;
      problem('E_PORT_RANGE', `int. port "${int}" is not an integer in 1..65535`);
    }
    if (!ok || hostPort === null || containerPort === null) return;

    const key = `${node}:${hostPort}`;
    const earlier = published.get(key);
    if (earlier !== undefined) {
      problem('E_PORT_CONFLICT', `ext. port ${hostPort} on ${node} is already published by line ${earlier}`);
      return;
    }
    published.set(key, line);
    out.push({ app, node, hostPort, containerPort, line });
  });

  if (problems.length > 0) throw problemsError(file, problems);
  return out;
}

function parsePort(s: string): number | null {
  // Digits only: "5050.0", "0x13ba", "1e3" and "+80" are typos, not ports.
  if (!/^[0-9]{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

/** One error for many problems: the code of the first, each problem kept in `details`. */
export function problemsError(file: string, problems: MatrixError[]): MatrixError {
  const first = problems[0];
  if (!first) throw new Error('problemsError needs at least one problem');
  const n = problems.length;
  // an answer stays small however broken the input: the first ones, and how many there are
  const shown = problems.slice(0, SPEC_LIMITS.problems);
  const more = n > shown.length ? ` (the first ${shown.length} are listed)` : '';
  return new MatrixError(first.code, `${n} problem${n === 1 ? '' : 's'} in ${file}${more}`, { details: shown });
}
