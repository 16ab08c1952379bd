/**
 * Finding a node's processes, for "power off": every process in the node's network
 * namespace (dockerd, containerd, shims, docker-proxy) and all their descendants. Container
 * processes live in their own namespaces but descend from the node's shims, and killing
 * only the daemons would leave them serving through the netns' iptables DNAT.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
}

function listProcs(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // comm may contain spaces and parentheses: fields resume after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(d), ppid: Number(rest[1]) });
    } catch {
      // the process exited while we looked
    }
  }
  return out;
}

function netnsInode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/** Pure: the closure of `roots` under the parent->child relation. */
export function withDescendants(roots: number[], procs: Proc[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen].sort((a, b) => a - b);
}

/** A process and all its descendants, now. */
export function processTree(pid: number): number[] {
  return withDescendants([pid], listProcs());
}

export function pidsInNetns(netns: string): number[] {
  const ino = netnsInode(`/var/run/netns/${netns}`);
  if (ino === null) return [];
  const pids: number[] = [];
  for (const p of listProcs()) {
    if (netnsInode(`/proc/${p.pid}/ns/net`) === ino) pids.push(p.pid);
  }
  return pids;
}

export function nodeProcessTree(netns: string): number[] {
  return withDescendants(pidsInNetns(netns), listProcs());
}

/** SIGSTOP first so nothing forks or restarts a sibling while we kill, then SIGKILL. */
export function killTree(netns: string): number[] {
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const first = nodeProcessTree(netns);
  signal(first, 'SIGSTOP');
  const all = withDescendants([...first, ...nodeProcessTree(netns)], listProcs());
  signal(all, 'SIGKILL');
  return all;
}
