/** varnishd invocations, as data (VCL changes go through the admin protocol: varnish-cli.ts). */
export interface VarnishFiles {
  workDir: string; // -n: shared memory and compiled VCLs
  pidFile: string;
  secretFile: string; // -S: the admin secret, readable by root only
}

/**
 * Boots with the manager's current VCL (`-f`), so a restarted varnishd never takes traffic
 * with an empty or old config; every later change goes inline over the admin port.
 */
export function varnishdCommand(listen: string, admin: string, f: VarnishFiles, bootVclFile: string, cacheMb = 64): string[] {
  return ['varnishd', '-n', f.workDir, '-a', listen, '-T', admin, '-S', f.secretFile, '-f', bootVclFile, '-P', f.pidFile, '-s', `malloc,${cacheMb}m`];
}

export interface VclListEntry {
  status: string; // active | available | discarded
  state: string; // auto | cold | warm
  temperature: string;
  busy: number;
  name: string;
}

/** Pure: parses `vcl.list` output (`active   auto    warm         1    boot`). */
export function parseVclList(out: string): VclListEntry[] {
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5)
    .map(([status, state, temperature, busy, name]) => ({
      status: status!,
      state: state!,
      temperature: temperature!,
      busy: Number(busy),
      name: name!,
    }));
}

/** Pure: the loaded VCLs to discard after a switch: all inactive ones but the newest `keep`. */
export function vclsToDiscard(entries: VclListEntry[], keep = 1): string[] {
  const inactive = entries.filter((e) => e.status === 'available' && e.name.startsWith('mx'));
  return inactive.slice(0, Math.max(0, inactive.length - keep)).map((e) => e.name);
}

/**
 * Pure: `ss` argv that destroys this host's TCP connections to `address` on `ports` (the
 * ingress's fetches in flight to a node that stopped answering), so Varnish sees them fail
 * at once and retries a GET on another replica instead of waiting out first_byte_timeout.
 */
export function abortConnectionsCommand(address: string, ports: readonly number[]): string[] {
  const uniq = [...new Set(ports)].sort((a, b) => a - b);
  if (uniq.length === 0) throw new Error('abortConnectionsCommand needs at least one port');
  const dports = uniq.flatMap((p, i) => [...(i > 0 ? ['or'] : []), 'dport', '=', `:${p}`]);
  return ['ss', '-K', '-t', '-n', 'dst', address, 'and', '(', ...dports, ')'];
}

/** Pure: how many connections `ss -K` reports it destroyed (its output lists them under a header). */
export function countAborted(ssOutput: string): number {
  return ssOutput.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('State') && !l.startsWith('Recv-Q')).length;
}

/**
 * Pure: from `param.show cc_command`, the compiler command VCLs should be loaded with, or
 * null when that is the one set already. Every routing change waits for its VCL to compile,
 * and VCL is glue that calls into varnishd: Tiny C Compiler (`tcc`, when installed) compiles
 * ours in about 0.01 s where the build's gcc -O2 takes 0.48 s here; without it, the build's
 * own command with optimisation off (-O0: 0.19 s). Neither costs measurably per request.
 */
export function quickCompileCommand(paramShow: string, tcc: string | null): string | null {
  const m = /^\s*Value is:\s*(.*?)(?:\s+\(default\))?\s*$/m.exec(paramShow);
  if (!m) return null;
  const cmd = m[1]!;
  const quick = tcc !== null ? `exec ${tcc} -shared -o %o %s` : cmd.replace(/(^|\s)-O(?:[1-3sz]|fast)?(?=\s|$)/g, '$1-O0');
  return quick === cmd ? null : quick;
}

/**
 * The backends whose health the manager switches, as [name, on] pairs: those `sick` names
 * that are not off yet go off; those it switched off that `sick` no longer names go on.
 * `forced`: name -> switched off (true) or on (false) by the manager in the active VCL.
 */
export function healthChanges(forced: ReadonlyMap<string, boolean>, sick: readonly string[]): [string, boolean][] {
  const want = new Set(sick);
  const off = [...want].filter((b) => forced.get(b) !== true).map((b): [string, boolean] => [b, false]);
  const on = [...forced].filter(([b, isOff]) => isOff && !want.has(b)).map(([b]): [string, boolean] => [b, true]);
  return [...off, ...on];
}

/** The argv that reads every backend counter of the varnishd in `workDir`, once, as JSON. */
export function backendCountersCommand(workDir: string): string[] {
  return ['varnishstat', '-n', workDir, '-1', '-j', '-f', 'VBE.*'];
}

/**
 * Pure: `varnishstat -j` (format version 1) -> per `<vcl>.<backend>`, its fetches (`req`) and
 * failed connects (`fail`). Anything else in the output is ignored.
 */
export function parseBackendCounters(json: string): Map<string, { req: number; fail: number }> {
  const out = new Map<string, { req: number; fail: number }>();
  const counters = (JSON.parse(json) as { counters?: Record<string, { value?: unknown }> }).counters ?? {};
  for (const [name, c] of Object.entries(counters)) {
    const m = /^VBE\.([^.]+\.[^.]+)\.(req|fail)$/.exec(name);
    if (!m || typeof c?.value !== 'number') continue;
    const entry = out.get(m[1]!) ?? { req: 0, fail: 0 };
    entry[m[2] as 'req' | 'fail'] = c.value;
    out.set(m[1]!, entry);
  }
  return out;
}
