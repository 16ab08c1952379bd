import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import type { Route } from '../model.ts';
import { HEALTH, HOSTS, ONE_APP, PROBES, r, TWO_APPS } from './test-routes.ts';
import { backendName, DEFAULT_INGRESS_OPTIONS, renderVcl, type IngressOptions } from './vcl.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const VARNISHD = '/usr/sbin/varnishd';
const OPTS_ROUTES = [r('web-app', 'node-1', '127.0.0.1', 8081), r('api', 'node1', '10.210.0.11', 9000)];
const OPTS: IngressOptions = {
  connectTimeout: 2,
  firstByteTimeout: 5.25,
  probeUrl: '/healthz?full=1',
  probeInterval: 0.25,
  probeTimeout: 0.2,
  probeWindow: 8,
  probeThreshold: 5,
  probeInitial: 0,
  retries: 0,
};

const GOLDEN: [file: string, render: () => string][] = [
  ['empty.vcl', () => renderVcl([])],
  ['one-app-two-nodes.vcl', () => renderVcl(ONE_APP)],
  ['two-apps.vcl', () => renderVcl(TWO_APPS)],
  ['options.vcl', () => renderVcl(OPTS_ROUTES, OPTS)],
  ['per-app-probe.vcl', () => renderVcl(TWO_APPS, {}, PROBES)],
  ['host-routing.vcl', () => renderVcl(TWO_APPS, { domain: 'matrix' }, HOSTS)],
  [
    'host-routing-and-probes.vcl',
    () =>
      renderVcl(
        TWO_APPS,
        { domain: 'matrix', probeInitial: 1 },
        { simplewebapp1: { ...PROBES.simplewebapp1, hosts: ['web.example.com'] }, simplewebapp2: PROBES.simplewebapp2! },
      ),
  ],
];

// Runs the real VCL compiler: exit 0 and C code on success, the error on stderr otherwise.
const workDir = mkdtempSync(join(tmpdir(), 'cloudmatrix-vcc-'));
// Run as root, varnishd compiles as an unprivileged user (vcache), which must read the files.
chmodSync(workDir, 0o755);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
let n = 0;
function compile(vcl: string): { ok: boolean; error: string } {
  const file = join(workDir, `t${n++}.vcl`);
  writeFileSync(file, vcl);
  chmodSync(file, 0o644);
  const p = spawnSync(VARNISHD, ['-C', '-n', join(workDir, 'n'), '-f', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (p.error) throw p.error; // varnishd missing is a failure, never a skip
  const error =
    p.status === 0
      ? ''
      : p.stderr
          .split('\n')
          .filter((l) => !l.startsWith('/*') && l.trim() !== '')
          .slice(0, 20)
          .join('\n');
  return { ok: p.status === 0, error };
}

describe('renderVcl golden files', () => {
  it.each(GOLDEN)('%s matches exactly', (file, render) => {
    const out = render();
    if (process.env.UPDATE_GOLDEN) writeFileSync(join(TESTDATA, file), out);
    expect(out).toBe(readFileSync(join(TESTDATA, file), 'utf8'));
  });

  it.each(GOLDEN.map(([f]) => f))(
    '%s compiles with varnishd -C',
    (file) => {
      const res = compile(readFileSync(join(TESTDATA, file), 'utf8'));
      expect(res.error).toBe('');
      expect(res.ok).toBe(true);
    },
    30_000,
  );

  it('the compiler check really rejects bad VCL', () => {
    const res = compile(renderVcl(ONE_APP).replace('return (pass);', 'return (nonsense);'));
    expect(res.ok).toBe(false);
    expect(res.error).not.toBe('');
  }, 30_000);

  it('odd but valid names (dashes, 63 chars, IPv6, many routes) compile', () => {
    const long = 'a-'.repeat(31) + 'b';
    const routes = [r(long, 'n'.repeat(63), '::1', 65535), r('a-b', 'c', '127.0.0.1', 1), r('a', 'b-c', '127.0.0.1', 1)];
    for (let i = 0; i < 50; i++) routes.push(r(`app${i % 7}`, `node${i}`, `10.210.0.${i + 2}`, 5000 + (i % 3)));
    const res = compile(renderVcl(routes, { retries: 5 }));
    expect(res.error).toBe('');
    const hosts = Array.from({ length: 40 }, (_, i) => `h${i}.${'x'.repeat(63)}.example`);
    const apps = { [long]: { hosts, probe: { ...HEALTH, path: '/' } }, 'a-b': { hosts: ['a-b.other'] }, app3: { probe: HEALTH } };
    const res2 = compile(renderVcl(routes, { domain: `${'d'.repeat(63)}.cluster.internal`, retries: 0 }, apps));
    expect(res2.error).toBe('');
  }, 30_000);
});

describe('renderVcl retry ring', () => {
  it('sends a retry to the replica after the one that failed, per app, never back to the director', () => {
    const routes = [
      { app: 'web', node: 'node1', address: '10.0.0.11', port: 5050 },
      { app: 'web', node: 'node2', address: '10.0.0.12', port: 5050 },
      { app: 'web', node: 'node3', address: '10.0.0.13', port: 5050 },
      { app: 'solo', node: 'node1', address: '10.0.0.11', port: 6000 },
    ];
    const fetch = renderVcl(routes).split('sub vcl_backend_fetch {')[1]!.split('\n}\n')[0]!;
    const ring = [...fetch.matchAll(/X-Matrix-Failed == "(\w+)"\) \{\n\s+set bereq.backend = (\w+);/g)].map((m) => [m[1], m[2]]);
    expect(ring).toEqual([
      ['b_web_node1_5050', 'b_web_node2_5050'],
      ['b_web_node2_5050', 'b_web_node3_5050'],
      ['b_web_node3_5050', 'b_web_node1_5050'],
    ]);
    expect(fetch).not.toContain('solo'); // one replica: nothing to walk to
    expect(renderVcl(routes)).toContain('unset req.http.X-Matrix-Failed;'); // clients cannot steer retries
  });
});

describe('renderVcl structure', () => {
  const vcl = renderVcl(TWO_APPS);

  it('starts with vcl 4.1, imports directors and std and has a none default backend', () => {
    expect(vcl.startsWith('vcl 4.1;\n')).toBe(true);
    expect(vcl).toContain('\nimport directors;\nimport std;\n');
    expect(vcl).toContain('\nbackend default none;\n');
    expect(vcl.endsWith('}\n')).toBe(true);
  });

  it('the input order of routes does not change the output', () => {
    const shuffled = [TWO_APPS[3]!, TWO_APPS[0]!, TWO_APPS[2]!, TWO_APPS[1]!];
    expect(renderVcl(shuffled)).toBe(vcl);
    expect(renderVcl([...TWO_APPS].reverse())).toBe(vcl);
  });

  it('identical routes given twice make one backend', () => {
    expect(renderVcl([...ONE_APP, ...ONE_APP])).toBe(renderVcl(ONE_APP));
  });

  it('sorts ports numerically within a node', () => {
    const out = renderVcl([r('web', 'n1', '10.0.0.1', 10000), r('web', 'n1', '10.0.0.1', 9000)]);
    expect(out.indexOf('b_web_n1_9000 {')).toBeLessThan(out.indexOf('b_web_n1_10000 {'));
  });

  it('one round_robin director per app, built in vcl_init, with its backends', () => {
    const init = vcl.slice(vcl.indexOf('sub vcl_init {'), vcl.indexOf('sub vcl_recv {'));
    expect(init.match(/directors\.round_robin\(\)/g)).toHaveLength(2);
    expect(init).toContain('d_simplewebapp1.add_backend(b_simplewebapp1_node1_5050);');
    expect(init).toContain('d_simplewebapp2.add_backend(b_simplewebapp2_node3_5051);');
  });

  it('routes by prefix, strips it, sets X-Forwarded-Prefix and passes', () => {
    expect(vcl).toContain('if (req.url ~ "^/simplewebapp1/") {');
    expect(vcl).toContain('set req.url = regsub(req.url, "^/simplewebapp1/", "/");');
    expect(vcl).toContain('set req.http.X-Forwarded-Prefix = "/simplewebapp1";');
    expect(vcl).toContain('set req.backend_hint = d_simplewebapp1.backend();');
    expect(vcl.match(/return \(pass\);/g)).toHaveLength(2);
    expect(vcl).not.toMatch(/return \(hash\)/);
  });

  it('redirects /<app> (with or without a query) to /<app>/ with a 301', () => {
    expect(vcl).toContain('if (req.url ~ "^/simplewebapp2(\\?|$)") {');
    expect(vcl).toContain('return (synth(750, "Moved Permanently"));');
    expect(vcl).toContain('set resp.status = 301;');
    expect(vcl).toContain('set resp.http.Location = req.http.X-Matrix-Location;');
  });

  it('anything else is a 404 listing the apps; an empty cluster says none run', () => {
    expect(vcl).toContain('return (synth(404, "Not Found"));');
    expect(vcl).toContain('Apps:\n  /simplewebapp1/\n  /simplewebapp2/\n"};');
    expect(renderVcl([])).toContain('no apps are running');
  });

  const sub = (text: string, name: string): string => {
    const start = text.indexOf(`\nsub ${name} {\n`);
    expect(start).toBeGreaterThan(0);
    return text.slice(start + 1, text.indexOf('\n}\n', start) + 3);
  };

  it('retries GET/HEAD on backend errors, up to opts.retries', () => {
    const be = sub(vcl, 'vcl_backend_error');
    expect(be).toContain(
      'if (bereq.retries < 2 && (bereq.method == "GET" || bereq.method == "HEAD")) {\n        set bereq.http.X-Matrix-Failed = beresp.backend.name;\n        return (retry);\n    }',
    );
    expect(sub(renderVcl(ONE_APP, { retries: 4 }), 'vcl_backend_error')).toContain('bereq.retries < 4 &&');
  });

  it('retries GET/HEAD answered 502/503/504 by the same bound, nothing else', () => {
    const br = sub(vcl, 'vcl_backend_response');
    expect(br).toContain(
      'if (beresp.status >= 502 && beresp.status <= 504 && bereq.retries < 2 && (bereq.method == "GET" || bereq.method == "HEAD")) {\n        set bereq.http.X-Matrix-Failed = beresp.backend.name;\n        return (retry);\n    }',
    );
    expect(br.match(/return \(/g)).toHaveLength(1);
    expect(sub(renderVcl(ONE_APP, { retries: 0 }), 'vcl_backend_response')).toContain('bereq.retries < 0 &&');
  });

  it('closes every backend connection after its fetch, and says why', () => {
    const bf = sub(vcl, 'vcl_backend_fetch');
    expect(bf).toContain('    set bereq.http.Connection = "close";\n');
    expect(bf).toContain('.first_byte_timeout');
    expect(bf).toContain('.connect_timeout (0.1s)');
    expect(sub(renderVcl(ONE_APP, { connectTimeout: 2 }), 'vcl_backend_fetch')).toContain('.connect_timeout (2s)');
    // nothing touches the client side connection
    expect(vcl).not.toMatch(/(^|[^a-z])(req|resp)\.http\.Connection/im);
  });

  it('after the retries, a plain-text 503 that names the app', () => {
    const be = sub(vcl, 'vcl_backend_error');
    expect(be.indexOf('return (retry);')).toBeLessThan(be.indexOf('set beresp.status = 503;'));
    expect(be).toContain('set beresp.http.Content-Type = "text/plain; charset=utf-8";');
    expect(be).toContain('set beresp.body = "No replica of app " + bereq.http.X-Matrix-App + {" is available, try again shortly.\n"};');
    expect(be).toContain('    return (deliver);\n}');
  });

  it('marks responses with X-Matrix-App and drops client-sent copies', () => {
    expect(vcl).toContain('set resp.http.X-Matrix-App = req.http.X-Matrix-App;');
    expect(vcl).toContain('unset req.http.X-Matrix-App;');
  });

  it('backends carry host, port, timeouts and the app probe', () => {
    expect(vcl).toContain(
      [
        'backend b_simplewebapp2_node3_5051 {',
        '    .host = "10.210.0.13";',
        '    .port = "5051";',
        '    .connect_timeout = 0.1s;',
        '    .first_byte_timeout = 60s;',
        '    .probe = p_simplewebapp2;',
        '}',
      ].join('\n'),
    );
    expect(vcl.match(/^probe /gm)).toHaveLength(2);
  });

  it('defaults are the documented ones', () => {
    expect(DEFAULT_INGRESS_OPTIONS).toEqual({
      connectTimeout: 0.1,
      firstByteTimeout: 60,
      probeUrl: '/',
      probeInterval: 1,
      probeTimeout: 1,
      probeWindow: 3,
      probeThreshold: 2,
      probeInitial: 2,
      retries: 2,
    });
    expect(renderVcl(ONE_APP, {})).toBe(renderVcl(ONE_APP, DEFAULT_INGRESS_OPTIONS));
  });
});

describe('backendName', () => {
  it('is b_<app>_<node>_<port> for plain names', () => {
    expect(backendName(r('simplewebapp1', 'node1', '10.0.0.1', 5050))).toBe('b_simplewebapp1_node1_5050');
  });

  it('replaces unsafe characters and adds a hash so different routes never collide', () => {
    const a = backendName(r('a-b', 'c', 'x', 1));
    const b = backendName(r('a', 'b-c', 'x', 1));
    expect(a).toMatch(/^b_a_b_c_1_[0-9a-f]{8}$/);
    expect(b).toMatch(/^b_a_b_c_1_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(backendName(r('a-b', 'c', 'y', 1))).toBe(a); // address is not part of the name
  });
});

describe('renderVcl refuses input that would break or inject VCL', () => {
  const refuse = (routes: Route[], opts: Partial<IngressOptions> = {}, code = 'E_INTERNAL') => {
    try {
      renderVcl(routes, opts);
    } catch (e) {
      expect(e).toBeInstanceOf(MatrixError);
      expect((e as MatrixError).code).toBe(code);
      return;
    }
    throw new Error('renderVcl did not throw');
  };

  it.each([
    ['app with a quote', r('we"b', 'n', '1.2.3.4', 80)],
    ['uppercase app', r('Web', 'n', '1.2.3.4', 80)],
    ['app with a slash', r('a/b', 'n', '1.2.3.4', 80)],
    ['node with a space', r('web', 'n 1', '1.2.3.4', 80)],
    ['address with a quote', r('web', 'n', '1.2.3.4"', 80)],
    ['port 0', r('web', 'n', '1.2.3.4', 0)],
    ['port 65536', r('web', 'n', '1.2.3.4', 65536)],
    ['fractional port', r('web', 'n', '1.2.3.4', 80.5)],
  ])('%s', (_name, route) => refuse([route]));

  it.each<[string, Partial<IngressOptions>]>([
    ['zero timeout', { connectTimeout: 0 }],
    ['NaN timeout', { firstByteTimeout: Number.NaN }],
    ['probe url without slash', { probeUrl: 'health' }],
    ['probe url with quote', { probeUrl: '/"' }],
    ['probe url with space', { probeUrl: '/a b' }],
    ['window 0', { probeWindow: 0 }],
    ['window 65', { probeWindow: 65 }],
    ['threshold above window', { probeWindow: 3, probeThreshold: 4 }],
    ['initial above threshold', { probeInitial: 3 }],
    ['negative retries', { retries: -1 }],
    ['fractional retries', { retries: 1.5 }],
  ])('option: %s', (_name, opts) => refuse(ONE_APP, opts, 'E_BAD_REQUEST'));
});
