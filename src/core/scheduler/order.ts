/**
 * The order apps are scheduled in. Pinned apps first (by name): their nodes and ports are
 * fixed, everything else must fit around them. Then the rest, topologically: an app another
 * one has affinity to or depends on goes first, so the filters for the dependent app see its
 * placements. Ties by name; a cycle is broken at its smallest name.
 */
import type { AppSpec } from '../model.ts';
import { byCodeUnit } from '../compare.ts';

const cmp = byCodeUnit;

/** Binary insertion keeps `ready` sorted so the smallest name is always at index 0. */
function insertSorted(xs: string[], x: string): void {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(xs[mid], x) < 0) lo = mid + 1;
    else hi = mid;
  }
  xs.splice(lo, 0, x);
}

export function schedulingOrder(apps: readonly AppSpec[]): string[] {
  const pinned = apps
    .filter((a) => a.pins !== undefined)
    .map((a) => a.name)
    .sort(cmp);
  const rest = apps.filter((a) => a.pins === undefined);
  const names = new Set(rest.map((a) => a.name));

  // deps: app -> apps it waits for; users: app -> apps waiting for it
  const deps = new Map<string, Set<string>>();
  const users = new Map<string, string[]>();
  for (const a of rest) {
    const d = new Set<string>();
    for (const t of [...(a.affinity ?? []), ...(a.dependsOn ?? []).map((x) => x.app)]) {
      if (t !== a.name && names.has(t)) d.add(t);
    }
    deps.set(a.name, d);
    for (const t of d) {
      const u = users.get(t);
      if (u) u.push(a.name);
      else users.set(t, [a.name]);
    }
  }

  const pending = new Map<string, number>();
  const ready: string[] = [];
  for (const [name, d] of deps) {
    pending.set(name, d.size);
    if (d.size === 0) insertSorted(ready, name);
  }

  const out: string[] = [...pinned];
  const done = new Set<string>();
  while (done.size < deps.size) {
    const next = ready.length > 0 ? (ready.shift() as string) : breakCycle(deps, done);
    if (done.has(next)) continue;
    done.add(next);
    out.push(next);
    for (const u of users.get(next) ?? []) {
      const left = (pending.get(u) ?? 0) - 1;
      pending.set(u, left);
      if (left === 0 && !done.has(u)) insertSorted(ready, u);
    }
  }
  return out;
}

/**
 * Every remaining app waits for another remaining one, so following unmet dependencies from
 * the smallest remaining name must reach a cycle; the cycle's smallest name goes next.
 */
function breakCycle(deps: Map<string, Set<string>>, done: Set<string>): string {
  const remaining = [...deps.keys()].filter((n) => !done.has(n)).sort(cmp);
  const seenAt = new Map<string, number>();
  const path: string[] = [];
  let cur = remaining[0];
  while (!seenAt.has(cur)) {
    seenAt.set(cur, path.length);
    path.push(cur);
    const unmet = [...(deps.get(cur) ?? [])].filter((d) => !done.has(d)).sort(cmp);
    if (unmet.length === 0) return cur; // not actually waiting: take it
    cur = unmet[0];
  }
  return path.slice(seenAt.get(cur)).sort(cmp)[0];
}
