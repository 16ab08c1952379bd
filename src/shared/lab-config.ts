/**
 * The lab: a real multi-node cluster on one Linux box. A bridge on the host is the
 * manager's side; each node is a network namespace with a veth on the bridge and its own
 * dockerd. Everything is derived from this config so that `down` can remove exactly what
 * `up` made, and a test lab can sit beside a demo lab (different prefix/bridge/subnet).
 */
import { MatrixError } from '../core/errors.ts';

export interface LabConfig {
  /** Prefix of namespace and link names (`mx-` gives netns `mx-node1`, veth `mx-node1-h`). */
  prefix: string;
  bridge: string;
  /** First three octets of the /24 the lab uses; the manager takes .1, node i takes .(10+i). */
  subnet: string;
  enginePort: number;
  registryPort: number;
}

export const DEFAULT_LAB: LabConfig = {
  prefix: 'mx-',
  bridge: 'mx0',
  subnet: '10.210.0',
  enginePort: 2376,
  registryPort: 5000,
};

export const MAX_NODES = 200;

export interface LabNode {
  name: string; // node1
  netns: string; // mx-node1
  hostVeth: string; // mx-node1-h (max 15 chars: Linux IFNAMSIZ)
  address: string; // 10.210.0.11
}

export function validateLabConfig(c: LabConfig): LabConfig {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,5}$/.test(c.prefix)) problems.push(`prefix "${c.prefix}" must be 1-6 of [a-z0-9-], starting with a letter`);
  if (!/^[a-z][a-z0-9]{0,14}$/.test(c.bridge)) problems.push(`bridge "${c.bridge}" must be a valid interface name`);
  const octets = c.subnet.split('.');
  if (octets.length !== 3 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) {
    problems.push(`subnet "${c.subnet}" must be three octets, e.g. 10.210.0`);
  }
  for (const [k, v] of [
    ['enginePort', c.enginePort],
    ['registryPort', c.registryPort],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) problems.push(`${k} ${v} must be in 1..65535`);
  }
  if (problems.length) throw new MatrixError('E_LAB', `invalid lab config: ${problems.join('; ')}`);
  return c;
}

export function managerAddress(c: LabConfig): string {
  return `${c.subnet}.1`;
}

export function labNode(c: LabConfig, index: number): LabNode {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES) {
    throw new MatrixError('E_LAB', `node index ${index} must be in 1..${MAX_NODES}`);
  }
  const name = `node${index}`;
  return {
    name,
    netns: `${c.prefix}${name}`,
    hostVeth: `${c.prefix}${name}-h`,
    address: `${c.subnet}.${10 + index}`,
  };
}

export function labNodes(c: LabConfig, count: number): LabNode[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
    throw new MatrixError('E_LAB', `--nodes ${count} must be an integer in 1..${MAX_NODES}`);
  }
  return Array.from({ length: count }, (_, i) => labNode(c, i + 1));
}

/**
 * Pure: the node `matrix node create --driver lab [name]` adds: the name given (nodeK, a free
 * K), or the first free one. Lab nodes are named by their index: it gives their address.
 */
export function nextLabNode(c: LabConfig, existing: readonly LabNode[], name?: string): LabNode {
  const taken = new Set(existing.map((n) => n.name));
  if (name === undefined) {
    for (let i = 1; i <= MAX_NODES; i++) if (!taken.has(`node${i}`)) return labNode(c, i);
    throw new MatrixError('E_LAB', `the lab has its ${MAX_NODES} nodes`);
  }
  const m = /^node([1-9]\d{0,2})$/.exec(name);
  if (!m || Number(m[1]) > MAX_NODES) {
    throw new MatrixError('E_BAD_REQUEST', `lab nodes are named node1..node${MAX_NODES} (the number gives the address), not ${JSON.stringify(name)}`, {
      path: 'name',
    });
  }
  if (taken.has(name)) throw new MatrixError('E_NODE_EXISTS', `the lab has a ${name}`, { path: 'name' });
  return labNode(c, Number(m[1]));
}

export const MAX_HOSTS = 40;

/**
 * A bare lab machine for the ssh driver: a namespace with sshd and no engine set up, as a
 * fresh VM would be. Host k takes .(210+k), above every node's address.
 */
export function labHost(c: LabConfig, index: number): LabNode {
  if (!Number.isInteger(index) || index < 1 || index > MAX_HOSTS) throw new MatrixError('E_LAB', `host index ${index} must be in 1..${MAX_HOSTS}`);
  const name = `host${index}`;
  return { name, netns: `${c.prefix}${name}`, hostVeth: `${c.prefix}${name}-h`, address: `${c.subnet}.${210 + index}` };
}

export function nextLabHost(c: LabConfig, existing: readonly LabNode[]): LabNode {
  const taken = new Set(existing.map((n) => n.name));
  for (let i = 1; i <= MAX_HOSTS; i++) if (!taken.has(`host${i}`)) return labHost(c, i);
  throw new MatrixError('E_LAB', `the lab has its ${MAX_HOSTS} hosts`);
}

export function registryAddress(c: LabConfig): string {
  return `${managerAddress(c)}:${c.registryPort}`;
}
