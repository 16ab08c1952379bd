import { describe, expect, it } from 'vitest';
import { isMatrixError } from '../errors.ts';
import { dnsZone, isDnsLabel, lookup, MAX_ZONE_BYTES, parseZone, rotate, type DnsZone, type ZoneNode, type ZoneReplica } from './zone.ts';

const nodes: ZoneNode[] = [
  { name: 'node1', address: '192.168.1.11' },
  { name: 'Node2', address: '192.168.1.12' },
];
const replicas: ZoneReplica[] = [
  { app: 'web', id: 'web.1', address: '10.0.0.12', port: 8080 },
  { app: 'web', id: 'web.0', address: '10.0.0.11', port: 8080 },
  { app: 'api', id: 'api.0', address: '10.0.0.21', port: 3000 },
];

describe('dnsZone', () => {
  it('publishes app, slot and node A records and one SRV per replica', () => {
    const { zone, warnings } = dnsZone({ nodes, replicas, serial: 7 });
    expect(warnings).toEqual([]);
    expect(zone).toEqual({
      serial: 7,
      ttl: 1,
      a: {
        '0.api.matrix': ['10.0.0.21'],
        '0.web.matrix': ['10.0.0.11'],
        '1.web.matrix': ['10.0.0.12'],
        'api.matrix': ['10.0.0.21'],
        'node1.matrix': ['192.168.1.11'],
        'node2.matrix': ['192.168.1.12'],
        'web.matrix': ['10.0.0.11', '10.0.0.12'],
      },
      srv: {
        '_3000._tcp.api.matrix': [{ target: '0.api.matrix', port: 3000 }],
        '_8080._tcp.web.matrix': [
          { target: '0.web.matrix', port: 8080 },
          { target: '1.web.matrix', port: 8080 },
        ],
      },
    });
  });

  it('is byte-stable whatever the input order', () => {
    const one = JSON.stringify(dnsZone({ nodes, replicas, serial: 1, ttl: 5 }).zone);
    const two = JSON.stringify(dnsZone({ nodes: [...nodes].reverse(), replicas: [...replicas].reverse(), serial: 1, ttl: 5 }).zone);
    expect(two).toBe(one);
    expect(Object.keys(JSON.parse(one).a)).toEqual(Object.keys(JSON.parse(one).a).sort());
  });

  it('lower-cases names and keeps one copy of a repeated address', () => {
    const { zone } = dnsZone({
      nodes: [],
      replicas: [
        { app: 'Web', id: 'Web.0', address: '10.0.0.1', port: 80 },
        { app: 'web', id: 'web.0', address: '10.0.0.1', port: 80 },
      ],
      serial: 1,
    });
    expect(zone.a).toEqual({ '0.web.matrix': ['10.0.0.1'], 'web.matrix': ['10.0.0.1'] });
    expect(zone.srv).toEqual({ '_80._tcp.web.matrix': [{ target: '0.web.matrix', port: 80 }] });
  });

  it('gives a name shared by an app and a node to the app, and says so', () => {
    const { zone, warnings } = dnsZone({ nodes: [{ name: 'web', address: '192.168.1.5' }], replicas, serial: 1 });
    expect(zone.a['web.matrix']).toEqual(['10.0.0.11', '10.0.0.12']);
    expect(warnings).toEqual(['node "web" and app "web" share the name web.matrix: it resolves to the app']);
  });

  it('skips bad names and addresses with a warning, keeping the rest', () => {
    const { zone, warnings } = dnsZone({
      nodes: [
        { name: 'bad_node', address: '192.168.1.1' },
        { name: 'n3', address: '192.168.1.300' },
      ],
      replicas: [
        { app: '-web', id: '-web.0', address: '10.0.0.1', port: 80 },
        { app: 'db', id: 'db.0', address: 'fd00::1', port: 5432 },
        { app: 'db', id: 'db.x_y', address: '10.0.0.5', port: 5432 },
        { app: 'db', id: 'db.1', address: '10.0.0.6', port: 0 },
      ],
      serial: 1,
    });
    expect(zone.a).toEqual({ '1.db.matrix': ['10.0.0.6'], 'db.matrix': ['10.0.0.5', '10.0.0.6'] });
    expect(zone.srv).toEqual({});
    expect(warnings).toHaveLength(6);
    expect(warnings.join('\n')).toMatch(/"-web" is not a DNS label/);
    expect(warnings.join('\n')).toMatch(/"fd00::1" is not an IPv4 address/);
    expect(warnings.join('\n')).toMatch(/"db.x_y": its slot is not a DNS label/);
    expect(warnings.join('\n')).toMatch(/port 0 is not in 1..65535/);
    expect(warnings.join('\n')).toMatch(/node "bad_node"/);
    expect(warnings.join('\n')).toMatch(/"192.168.1.300" is not an IPv4 address/);
  });

  it('refuses a bad serial or TTL (they come from the caller, not from the cluster)', () => {
    expect(() => dnsZone({ nodes, replicas, serial: -1 })).toThrow(/serial/);
    expect(() => dnsZone({ nodes, replicas, serial: 1, ttl: 1.5 })).toThrow(/TTL/);
  });
});

describe('DNS labels (RFC 1123)', () => {
  it.each(['a', '0', 'web-1', 'a'.repeat(63), '1abc'])('accepts %s', (l) => expect(isDnsLabel(l)).toBe(true));
  it.each(['', '-a', 'a-', 'a'.repeat(64), 'a_b', 'A', 'a.b', 'ä'])('refuses %j', (l) => expect(isDnsLabel(l)).toBe(false));
});

describe('parseZone', () => {
  const good = dnsZone({ nodes, replicas, serial: 3 }).zone;

  it('reads back what dnsZone publishes', () => {
    expect(parseZone(JSON.stringify(good))).toEqual(good);
  });

  it('ignores unknown top-level keys (a newer manager may publish more)', () => {
    expect(parseZone(JSON.stringify({ ...good, txt: {} }))).toEqual(good);
  });

  const broken: [string, (z: DnsZone) => unknown, RegExp][] = [
    ['a negative serial', (z) => ({ ...z, serial: -1 }), /serial must be a non-negative integer/],
    ['a string TTL', (z) => ({ ...z, ttl: '1' }), /ttl must be an integer/],
    ['records as a list', (z) => ({ ...z, a: [] }), /a must be an object/],
    ['a name outside .matrix', (z) => ({ ...z, a: { 'web.example': ['10.0.0.1'] } }), /a\["web.example"\] is not a lower-case name under .matrix/],
    ['an upper-case name', (z) => ({ ...z, a: { 'Web.matrix': ['10.0.0.1'] } }), /a\["Web.matrix"\]/],
    ['a bad address', (z) => ({ ...z, a: { 'web.matrix': ['10.0.0.1', '10.0.0.256'] } }), /a\["web.matrix"\]\[1\] is not a dotted IPv4 address: "10.0.0.256"/],
    ['a single address', (z) => ({ ...z, a: { 'web.matrix': '10.0.0.1' } }), /must be a list/],
    ['a bad SRV name', (z) => ({ ...z, srv: { '_0._tcp.web.matrix': [] } }), /srv\["_0._tcp.web.matrix"\]/],
    ['an SRV without port', (z) => ({ ...z, srv: { '_80._tcp.web.matrix': [{ target: '0.web.matrix' }] } }), /\.port is not a port/],
    [
      'an SRV target outside .matrix',
      (z) => ({ ...z, srv: { '_80._tcp.web.matrix': [{ target: 'x.com', port: 80 }] } }),
      /\.target is not a name under .matrix/,
    ],
    ['a __proto__ key', () => JSON.parse('{"serial":1,"ttl":1,"a":{"__proto__":["10.0.0.1"]},"srv":{}}'), /__proto__/],
    ['not an object', () => [1], /must be a JSON object/],
  ];
  it.each(broken)('refuses %s, naming it', (_, damage, message) => {
    const json = JSON.stringify(damage(structuredClone(good)));
    expect(() => parseZone(json)).toThrow(message);
    try {
      parseZone(json);
    } catch (e) {
      expect(isMatrixError(e) && e.code).toBe('E_BAD_REQUEST');
    }
  });

  it.each(['', '{"serial":1,', 'null', '\u0000\u0001', '['.repeat(100_000)])('refuses damaged text %#', (text) => {
    expect(() => parseZone(text)).toThrow(/zone file/);
  });

  it('refuses a file over the size limit before parsing it', () => {
    expect(() => parseZone(' '.repeat(MAX_ZONE_BYTES + 1))).toThrow(/larger than/);
  });
});

describe('lookup', () => {
  const zone = dnsZone({ nodes, replicas, serial: 1 }).zone;

  it('answers A and SRV, any case, trailing dot or not', () => {
    expect(lookup(zone, 'WEB.Matrix.', 'A')).toEqual({ name: 'web.matrix', inZone: true, exists: true, answers: ['10.0.0.11', '10.0.0.12'] });
    expect(lookup(zone, '1.web.matrix', 'A').answers).toEqual(['10.0.0.12']);
    expect(lookup(zone, 'node2.matrix', 'A').answers).toEqual(['192.168.1.12']);
    expect(lookup(zone, '_3000._tcp.api.matrix', 'SRV').answers).toEqual([{ target: '0.api.matrix', port: 3000 }]);
  });

  it('tells an existing name without records of the type (NOERROR) from an unknown one (NXDOMAIN)', () => {
    expect(lookup(zone, 'web.matrix', 'SRV')).toMatchObject({ exists: true, answers: [] });
    expect(lookup(zone, '_tcp.web.matrix', 'A')).toMatchObject({ exists: true, answers: [] });
    expect(lookup(zone, 'matrix', 'A')).toMatchObject({ exists: true, answers: [] });
    expect(lookup(zone, 'nope.matrix', 'A')).toMatchObject({ inZone: true, exists: false, answers: [] });
    expect(lookup(zone, 'eb.matrix', 'A').exists).toBe(false);
    expect(lookup(zone, 'example.com', 'A')).toMatchObject({ inZone: false, exists: false });
    expect(lookup(zone, 'web.matrix.example.com', 'A').inZone).toBe(false);
  });

  it('returns copies, so rotating answers never changes the zone', () => {
    lookup(zone, 'web.matrix', 'A').answers.reverse();
    expect(zone.a['web.matrix']).toEqual(['10.0.0.11', '10.0.0.12']);
  });

  it('does not see Object.prototype names', () => {
    expect(lookup(zone, 'constructor.matrix', 'A')).toMatchObject({ exists: false, answers: [] });
    expect(lookup(zone, '__proto__.matrix', 'SRV')).toMatchObject({ exists: false, answers: [] });
  });
});

describe('rotate', () => {
  it('starts later by one position per step, wrapping', () => {
    expect([0, 1, 2, 3, -1].map((k) => rotate(['a', 'b', 'c'], k))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
      ['c', 'a', 'b'],
    ]);
    expect(rotate([], 5)).toEqual([]);
  });
});
