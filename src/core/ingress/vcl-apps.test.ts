/** renderVcl's per-app settings: own probes, host routing, and the validation of both. */
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import { HEALTH, HOSTS, ONE_APP, PROBES, TWO_APPS } from './test-routes.ts';
import { renderVcl, type AppIngress, type AppProbe } from './vcl.ts';

describe('renderVcl per-app probes', () => {
  const vcl = renderVcl(TWO_APPS, {}, PROBES);
  const probe = (text: string, app: string): string => text.slice(text.indexOf(`probe p_${app} {`), text.indexOf('}\n', text.indexOf(`probe p_${app} {`)) + 2);

  it('each app gets its own probe with its own settings, used by its backends', () => {
    expect(probe(vcl, 'simplewebapp1')).toBe(
      [
        'probe p_simplewebapp1 {',
        '    .url = "/healthz";',
        '    .interval = 5s;',
        '    .timeout = 2.5s;',
        '    .window = 5;',
        '    .threshold = 3;',
        '    .initial = 2;',
        '}\n',
      ].join('\n'),
    );
    expect(probe(vcl, 'simplewebapp2')).toContain('    .interval = 0.05s;\n    .timeout = 0.01s;\n    .window = 64;\n    .threshold = 64;\n');
    expect(vcl.match(/\.probe = p_simplewebapp1;/g)).toHaveLength(2);
    expect(vcl.match(/\.probe = p_simplewebapp2;/g)).toHaveLength(2);
  });

  it('apps without settings keep the global probe options', () => {
    const mixed = renderVcl(TWO_APPS, { probeUrl: '/g', probeWindow: 4 }, { simplewebapp1: { probe: HEALTH } });
    expect(probe(mixed, 'simplewebapp2')).toContain('.url = "/g";');
    expect(probe(mixed, 'simplewebapp2')).toContain('.window = 4;');
    expect(probe(mixed, 'simplewebapp1')).toContain('.url = "/healthz";');
    expect(renderVcl(TWO_APPS, {}, { simplewebapp1: {} })).toBe(renderVcl(TWO_APPS));
  });

  it('initial is the global one, capped at the app threshold', () => {
    expect(probe(renderVcl(ONE_APP, { probeInitial: 2 }, { simplewebapp1: { probe: { ...HEALTH, threshold: 1 } } }), 'simplewebapp1')).toContain(
      '.initial = 1;',
    );
    expect(probe(renderVcl(ONE_APP, { probeInitial: 0 }, { simplewebapp1: { probe: HEALTH } }), 'simplewebapp1')).toContain('.initial = 0;');
  });

  it('an app without routes gets no backend, director or probe, and answers 503 at its path and hosts', () => {
    const vcl = renderVcl(ONE_APP, { domain: 'matrix' }, { other: { probe: HEALTH, hosts: ['other.example'] } });
    expect(vcl).not.toMatch(/d_other|p_other|b_other/);
    const recv = vcl.slice(vcl.indexOf('sub vcl_recv {'), vcl.indexOf('sub vcl_synth {'));
    const atPath = recv.slice(recv.indexOf('if (req.url ~ "^/other/")'));
    expect(atPath.slice(0, atPath.indexOf('    }\n'))).toMatch(/X-Matrix-App = "other";[\s\S]*return \(synth\(503, "Service Unavailable"\)\);/);
    const atHost = recv.slice(recv.indexOf('req.http.X-Matrix-Host == "other.example"'));
    expect(atHost.slice(0, atHost.indexOf('        }\n'))).toMatch(/return \(synth\(503, "Service Unavailable"\)\);/);
    const synth = vcl.slice(vcl.indexOf('sub vcl_synth {'), vcl.indexOf('sub vcl_backend_fetch {'));
    expect(synth).toContain('set resp.http.Retry-After = "1";');
    // the 404 page lists it among the apps
    expect(synth).toContain('  /other/');
  });

  it('the order of the apps record does not change the output', () => {
    const reversed = Object.fromEntries(Object.entries(PROBES).reverse());
    expect(renderVcl([...TWO_APPS].reverse(), {}, reversed)).toBe(vcl);
  });
});

describe('renderVcl host routing', () => {
  const vcl = renderVcl(TWO_APPS, { domain: 'matrix' }, HOSTS);
  const recv = vcl.slice(vcl.indexOf('sub vcl_recv {'), vcl.indexOf('sub vcl_synth {'));

  it('is off without a domain or hosts', () => {
    for (const v of [renderVcl(TWO_APPS), renderVcl(TWO_APPS, {}, PROBES), renderVcl([], { domain: 'matrix' })]) {
      expect(v).not.toContain('X-Matrix-Host =');
      expect(v).not.toContain('X-Forwarded-Host');
    }
  });

  it('normalises the Host header once: lowercase, no port, no trailing dot', () => {
    expect(recv).toContain('    if (req.http.host) {\n        set req.http.X-Matrix-Host = regsub(std.tolower(req.http.host), "\\.?(:[0-9]+)?$", "");\n');
  });

  it('one rule per app, exact names sorted, whole path kept, X-Forwarded-Host set, passed', () => {
    expect(recv).toContain(
      [
        '        if (req.http.X-Matrix-Host == "app2.example.org" || req.http.X-Matrix-Host == "simplewebapp2.matrix" || req.http.X-Matrix-Host == "www.example.com") {',
        '            unset req.http.X-Matrix-Host;',
        '            set req.http.X-Matrix-App = "simplewebapp2";',
        '            set req.http.X-Forwarded-Host = req.http.host;',
        '            set req.backend_hint = d_simplewebapp2.backend();',
        '            return (pass);',
        '        }',
      ].join('\n'),
    );
    expect(recv).toContain('        if (req.http.X-Matrix-Host == "simplewebapp1.matrix") {\n');
    const hostPart = recv.slice(recv.indexOf('if (req.http.host)'), recv.indexOf('if (req.url ~'));
    expect(hostPart).not.toContain('req.url');
    expect(hostPart).not.toContain('X-Forwarded-Prefix');
  });

  it('comes before path routing, which still follows for other hosts', () => {
    expect(recv.indexOf('X-Matrix-Host == "simplewebapp1.matrix"')).toBeLessThan(recv.indexOf('if (req.url ~ "^/simplewebapp1(\\?|$)")'));
    expect(recv.indexOf('X-Matrix-Host == "simplewebapp2.matrix"')).toBeLessThan(recv.indexOf('if (req.url ~ "^/simplewebapp1/")'));
    expect(recv).toContain('        unset req.http.X-Matrix-Host;\n    }\n    if (req.url ~ "^/simplewebapp1(\\?|$)") {');
  });

  it('never trusts client copies of X-Matrix-Host or X-Forwarded-Prefix', () => {
    for (const v of [vcl, renderVcl(TWO_APPS)]) {
      expect(v).toContain('    unset req.http.X-Matrix-Host;\n    unset req.http.X-Matrix-Failed;\n    unset req.http.X-Forwarded-Prefix;\n');
    }
  });

  it('extra hosts work without a domain', () => {
    const only = renderVcl(TWO_APPS, {}, { simplewebapp1: { hosts: ['a.example'] } });
    expect(only).toContain('if (req.http.X-Matrix-Host == "a.example") {');
    expect(only).not.toContain('.matrix"');
    expect(only.match(/X-Matrix-Host == /g)).toHaveLength(1);
  });

  it('is stable for the order of routes, apps and hosts', () => {
    const shuffled = {
      simplewebapp1: { hosts: ['simplewebapp1.matrix', 'simplewebapp1.matrix'] },
      simplewebapp2: { hosts: ['www.example.com', 'app2.example.org', 'www.example.com'] },
    };
    expect(renderVcl([TWO_APPS[2]!, TWO_APPS[0]!, TWO_APPS[3]!, TWO_APPS[1]!], { domain: 'matrix' }, shuffled)).toBe(vcl);
  });
});

describe('renderVcl refuses unsafe per-app settings and domains', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(MatrixError);
      return (e as MatrixError).code;
    }
    throw new Error('renderVcl did not throw');
  };
  const probeWith = (p: Partial<AppProbe>): Record<string, AppIngress> => ({ simplewebapp1: { probe: { ...HEALTH, ...p } } });

  it.each<[string, Partial<AppProbe>]>([
    ['path without slash', { path: 'health' }],
    ['empty path', { path: '' }],
    ['path with a quote', { path: '/"' }],
    ['path with a space', { path: '/a b' }],
    ['path with a query', { path: '/a?b' }],
    ['path with a brace', { path: '/a}' }],
    ['path with a newline', { path: '/a\n' }],
    ['path with a backslash', { path: '/a\\b' }],
    ['path with non-ASCII', { path: '/é' }],
    ['interval 0', { intervalS: 0 }],
    ['interval too short', { intervalS: 0.01 }],
    ['interval too long', { intervalS: 3601 }],
    ['interval NaN', { intervalS: Number.NaN }],
    ['interval Infinity', { intervalS: Number.POSITIVE_INFINITY }],
    ['timeout negative', { timeoutS: -1 }],
    ['timeout too short', { timeoutS: 0.001 }],
    ['window 0', { window: 0 }],
    ['window 65', { window: 65 }],
    ['fractional window', { window: 2.5 }],
    ['threshold 0', { threshold: 0 }],
    ['threshold above window', { window: 3, threshold: 4 }],
    ['fractional threshold', { threshold: 1.5 }],
  ])('probe: %s', (_name, p) => {
    expect(code(() => renderVcl(ONE_APP, {}, probeWith(p)))).toBe('E_INTERNAL');
  });

  it.each([
    ['uppercase', 'WWW.example.com'],
    ['empty', ''],
    ['trailing dot', 'example.com.'],
    ['leading dash', '-a.example'],
    ['label ending in a dash', 'a-.example'],
    ['empty label', 'a..example'],
    ['with a port', 'a.example:80'],
    ['with a quote', 'a"b'],
    ['with a space', 'a b'],
    ['wildcard', '*.example.com'],
    ['underscore', 'a_b.example'],
    ['label of 64', `${'a'.repeat(64)}.example`],
    ['254 characters', `${'a.'.repeat(126)}ab`],
  ])('host: %s', (_name, host) => {
    expect(code(() => renderVcl(ONE_APP, {}, { simplewebapp1: { hosts: [host] } }))).toBe('E_INTERNAL');
  });

  it('a bad app name as key, even without routes', () => {
    expect(code(() => renderVcl(ONE_APP, {}, { 'Bad"App': {} }))).toBe('E_INTERNAL');
    expect(code(() => renderVcl([], {}, { other: { hosts: ['x y'] } }))).toBe('E_INTERNAL');
  });

  it('a host claimed by two apps, also through the domain, also by an app without routes', () => {
    expect(code(() => renderVcl(TWO_APPS, {}, { simplewebapp1: { hosts: ['x.example'] }, simplewebapp2: { hosts: ['x.example'] } }))).toBe('E_INTERNAL');
    expect(code(() => renderVcl(TWO_APPS, { domain: 'matrix' }, { simplewebapp1: { hosts: ['simplewebapp2.matrix'] } }))).toBe('E_INTERNAL');
    expect(code(() => renderVcl(ONE_APP, {}, { simplewebapp1: { hosts: ['x.example'] }, other: { hosts: ['x.example'] } }))).toBe('E_INTERNAL');
  });

  it.each(['', 'Matrix', '.matrix', 'matrix.', 'ma trix', 'ma"trix', '*.matrix', 'a_b'])('domain %j is a bad option', (domain) => {
    expect(code(() => renderVcl(ONE_APP, { domain }))).toBe('E_BAD_REQUEST');
  });

  it('accepts the edges of the ranges', () => {
    const edges: AppProbe = { path: '/', intervalS: 3600, timeoutS: 3600, window: 1, threshold: 1 };
    expect(() =>
      renderVcl(ONE_APP, { domain: 'a' }, { simplewebapp1: { probe: edges, hosts: [`${'a'.repeat(63)}.${'b'.repeat(63)}`, '10.0.0.1', 'x'] } }),
    ).not.toThrow();
  });
});
