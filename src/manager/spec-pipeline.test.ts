/**
 * One notion of valid: whatever a spec accepts can be planned, rendered into VCL and turned
 * into a container body. Boundary values of every field go through the whole pipeline.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CPUS, MAX_MEMORY_MB } from '../core/appspec/fields.ts';
import { MAX_REPLICAS } from '../core/defaults.ts';
import { PROBE_LIMITS } from '../core/ingress/app-ingress.ts';
import { parsePlanRender } from '../core/appspec/test-pipeline.ts';
import { createContainerBody } from './nodes/container-spec.ts';

/** parse -> plan -> container bodies -> VCL for routes on every replica; throws on any step. */
function pipeline(text: string): { vcl: string; bodies: number } {
  const { plan, vcl } = parsePlanRender(text, 'edge.yaml');
  return { vcl, bodies: plan.desired.map((r) => createContainerBody(r)).length };
}

const app = (fields: string) => `apps:\n  ${'a'.repeat(1)}-edge:\n    image: cloud/x\n    port: 8080\n${fields}`;

describe('one notion of valid', () => {
  const [imin, imax] = PROBE_LIMITS.intervalS;
  const [tmin, tmax] = PROBE_LIMITS.timeoutS;
  const [, wmax] = PROBE_LIMITS.window;
  const accepted: [string, string][] = [
    ['lowest probe values', `    health: { path: /, interval: ${imin}s, timeout: ${tmin}s, threshold: 1, window: 1 }\n`],
    ['highest probe values', `    health: { path: "/a-b_c.d~!$&'()*+,;=:@%/x", interval: ${imax}s, timeout: ${tmax}s, threshold: ${wmax}, window: ${wmax} }\n`],
    ['replicas 0', '    replicas: 0\n'],
    ['many replicas', `    replicas: 300\n`],
    ['largest resources', `    resources: { cpus: ${MAX_CPUS}, memory: ${MAX_MEMORY_MB}M }\n`],
    ['smallest resources', '    resources: { cpus: 0.001, memory: 1M }\n'],
    ['ports at the edges', '    publish: 65535\n'],
    ['env with odd values', '    env: { A_1: "", _B: "x=y \\" \' $HOME ${X} ünïcödé", LONG: "' + 'v'.repeat(10_000) + '" }\n'],
    ['every restart policy', '    restart: on-failure\n'],
    ['update edges', `    update: { parallelism: ${MAX_REPLICAS}, delay: 0.001s, order: stop-first, drain: 1ms, monitor: 1h }\n`],
  ];
  for (const [name, fields] of accepted) {
    it(`accepts and carries through: ${name}`, () => {
      const r = pipeline(app(fields));
      expect(r.vcl).toContain('vcl 4.1;');
    });
  }

  it('a 63-character app name and the highest container port pass every step', () => {
    const name = 'a' + 'b'.repeat(61) + 'c';
    const r = pipeline(`apps:\n  ${name}:\n    image: cloud/x\n    port: 65535\n    health: /\n`);
    expect(r.vcl).toContain(name);
    expect(r.bodies).toBe(1);
  });

  it('what the ingress could not render is refused by the spec, with its path', () => {
    for (const [fields, path] of [
      ['    health: { path: /, interval: 10ms }\n', 'apps.a-edge.health.interval'],
      ['    health: { path: /, window: 65 }\n', 'apps.a-edge.health.window'],
      ['    health: { path: "/x\\"; }" }\n', 'apps.a-edge.health.path'],
    ]) {
      try {
        pipeline(app(fields!));
        expect.unreachable(fields);
      } catch (e) {
        expect((e as { details?: { code: string; path: string }[] }).details?.[0]).toMatchObject({ code: 'E_SPEC_INVALID', path });
      }
    }
  });
});
