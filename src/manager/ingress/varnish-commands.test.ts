import { describe, expect, it } from 'vitest';
import {
  abortConnectionsCommand,
  backendCountersCommand,
  countAborted,
  healthChanges,
  parseBackendCounters,
  parseVclList,
  quickCompileCommand,
  varnishdCommand,
  vclsToDiscard,
} from './varnish-commands.ts';

describe('varnish commands', () => {
  it("starts varnishd with its own work dir, a secret-guarded admin port and the manager's current VCL", () => {
    expect(varnishdCommand(':6081', '127.0.0.1:6082', { workDir: '/h/v', pidFile: '/h/v/p', secretFile: '/h/v/secret' }, '/tmp/b/boot.vcl')).toEqual([
      'varnishd',
      '-n',
      '/h/v',
      '-a',
      ':6081',
      '-T',
      '127.0.0.1:6082',
      '-S',
      '/h/v/secret',
      '-f',
      '/tmp/b/boot.vcl',
      '-P',
      '/h/v/p',
      '-s',
      'malloc,64m',
    ]);
  });

  it('parses vcl.list and discards all inactive generated VCLs but the newest', () => {
    const list = parseVclList(
      'available   auto    warm         0    boot\navailable   auto    warm         0    mxa\navailable   auto    warm         2    mxb\nactive      auto    warm         0    mxc\n\n',
    );
    expect(list.map((e) => [e.status, e.name, e.busy])).toEqual([
      ['available', 'boot', 0],
      ['available', 'mxa', 0],
      ['available', 'mxb', 2],
      ['active', 'mxc', 0],
    ]);
    expect(vclsToDiscard(list)).toEqual(['mxa']);
    expect(vclsToDiscard(list, 0)).toEqual(['mxa', 'mxb']);
  });

  it('aborts the connections to one address on the given ports only, each port once', () => {
    expect(abortConnectionsCommand('10.210.0.13', [5051, 5050, 5051])).toEqual([
      'ss',
      '-K',
      '-t',
      '-n',
      'dst',
      '10.210.0.13',
      'and',
      '(',
      'dport',
      '=',
      ':5050',
      'or',
      'dport',
      '=',
      ':5051',
      ')',
    ]);
    expect(abortConnectionsCommand('10.210.0.13', [8080])).toEqual(['ss', '-K', '-t', '-n', 'dst', '10.210.0.13', 'and', '(', 'dport', '=', ':8080', ')']);
    // no port would mean every connection to the address: refused
    expect(() => abortConnectionsCommand('10.210.0.13', [])).toThrow(/at least one port/);
  });

  it('counts the connections ss reports destroyed, not its header', () => {
    const out =
      'State Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\nESTAB 0      0      10.210.0.1:42532 10.210.0.13:5050\nESTAB 0 0 10.210.0.1:42534 10.210.0.13:5051\n';
    expect(countAborted(out)).toBe(2);
    expect(countAborted('State Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n')).toBe(0);
    expect(countAborted('')).toBe(0);
  });

  it("compiles VCL with tcc when there is one, else lowers the build compiler's optimisation to -O0 and leaves the rest as the build set it", () => {
    const show = (v: string) => `cc_command\n        Value is: ${v}\n\n        Default is: exec $CC $CFLAGS %w -shared -o %o %s\n`;
    const debian =
      'exec x86_64-linux-gnu-gcc -g -O2 -fstack-protector-strong -Wformat -Werror=format-security -Werror -Wno-error=unused-result -pthread -fpic -shared -Wl,-x -o %o %s';
    expect(quickCompileCommand(show(`${debian} (default)`), '/usr/bin/tcc')).toBe('exec /usr/bin/tcc -shared -o %o %s');
    expect(quickCompileCommand(show('exec /usr/bin/tcc -shared -o %o %s'), '/usr/bin/tcc')).toBeNull();
    expect(quickCompileCommand(show(`${debian} (default)`), null)).toBe(debian.replace(' -O2 ', ' -O0 '));
    expect(quickCompileCommand(show('exec cc -O3 -fpic -shared -o %o %s'), null)).toBe('exec cc -O0 -fpic -shared -o %o %s');
    expect(quickCompileCommand(show('exec cc -Os -fpic -shared -o %o %s'), null)).toBe('exec cc -O0 -fpic -shared -o %o %s');
    // already lowered (a varnishd adopted from an earlier manager), or no level at all: nothing to set
    expect(quickCompileCommand(show(debian.replace(' -O2 ', ' -O0 ')), null)).toBeNull();
    expect(quickCompileCommand(show('exec cc -fpic -shared -o %o %s'), null)).toBeNull();
    // -O in another word is not a level
    expect(quickCompileCommand(show('exec cc -fpic -shared -Wl,-O1 -o %o %s'), null)).toBeNull();
    expect(quickCompileCommand('no such parameter', '/usr/bin/tcc')).toBeNull();
  });

  it('switches off the sick backends not off yet, and back on only those it switched off', () => {
    const forced = new Map([
      ['b_a', true], // off, stays off
      ['b_b', true], // off, healthy now: on
      ['b_c', false], // switched on before: left alone
    ]);
    expect(healthChanges(forced, ['b_a', 'b_d'])).toEqual([
      ['b_d', false],
      ['b_b', true],
    ]);
    expect(healthChanges(new Map(), [])).toEqual([]);
    expect(healthChanges(new Map([['b_c', false]]), ['b_c'])).toEqual([['b_c', false]]);
  });

  it("reads each loaded VCL's backend fetches and failed connects from varnishstat's JSON, and nothing else", () => {
    expect(backendCountersCommand('/w')).toEqual(['varnishstat', '-n', '/w', '-1', '-j', '-f', 'VBE.*']);
    const json = JSON.stringify({
      version: 1,
      timestamp: '2026-11-27T10:00:00',
      counters: {
        'MAIN.client_req': { flag: 'c', value: 99 },
        'VBE.mx1.b_web_node1_32768.req': { flag: 'c', value: 12 },
        'VBE.mx1.b_web_node1_32768.fail': { flag: 'c', value: 1 },
        'VBE.mx1.b_web_node1_32768.happy': { flag: 'b', value: 3 },
        'VBE.mx2.b_web_node1_32768.req': { flag: 'c', value: 4 },
        'VBE.mx2.b_api_node2_32769.fail': { flag: 'c', value: 2 },
        'VBE.weird': { value: 5 },
        'VBE.mx2.b_x.req': { value: 'many' },
      },
    });
    expect(parseBackendCounters(json)).toEqual(
      new Map([
        ['mx1.b_web_node1_32768', { req: 12, fail: 1 }],
        ['mx2.b_web_node1_32768', { req: 4, fail: 0 }],
        ['mx2.b_api_node2_32769', { req: 0, fail: 2 }],
      ]),
    );
    expect(parseBackendCounters('{}')).toEqual(new Map());
  });
});
