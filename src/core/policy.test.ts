import { describe, expect, it } from 'vitest';
import { appSpec } from './app-spec.ts';
import type { HostAccess } from './model.ts';
import { DEFAULT_POLICY, POLICY_KEYS, policyProblems } from './policy.ts';

const app = (host?: HostAccess) => appSpec({ name: 'agent', image: 'cloud/agent', port: 8080, source: 'm.yaml#apps.agent', ...(host ? { host } : {}) });

const everything: HostAccess = {
  privileged: true,
  capAdd: ['NET_ADMIN', 'SYS_TIME'],
  devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
  pid: 'host',
  ipc: 'host',
  network: 'host',
  binds: [{ source: '/var/log', target: '/host/log', readOnly: true }],
};

describe('the host-access policy', () => {
  it('refuses nothing for apps that ask for nothing, whatever the policy', () => {
    expect(policyProblems([app(), app({})], DEFAULT_POLICY)).toEqual([]);
  });

  it('by default refuses every kind of host access, one problem per field, naming the key to change', () => {
    const problems = policyProblems([app(everything)], DEFAULT_POLICY);
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.privileged'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.cap_add'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.devices'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.pid'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.ipc'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.network'],
      ['E_POLICY_DENIED', 'm.yaml#apps.agent.host.volumes'],
    ]);
    expect(problems[0]!.message).toMatch(/"policy": \{ "privileged": true \} in manager\.json/);
    expect(problems[1]!.message).toMatch(/NET_ADMIN, SYS_TIME.*"capabilities": true/);
    expect(problems[6]!.message).toMatch(/\/var\/log.*"hostPaths": true/);
  });

  it('allows exactly the kinds the policy lists', () => {
    for (const key of POLICY_KEYS) {
      const left = policyProblems([app(everything)], { ...DEFAULT_POLICY, [key]: true }).map((p) => p.message);
      expect(
        left.some((m) => m.includes(`"${key}": true`)),
        key,
      ).toBe(false);
      expect(left.length).toBeGreaterThan(0);
    }
    const all = Object.fromEntries(POLICY_KEYS.map((k) => [k, true])) as unknown as typeof DEFAULT_POLICY;
    expect(policyProblems([app(everything)], all)).toEqual([]);
  });

  it('names the field as the spec wrote it: compose keys at the service, else under host:', () => {
    const compose = { ...app({ privileged: true, network: 'host' }), source: 'compose.yaml#services.agent' };
    expect(policyProblems([compose], DEFAULT_POLICY).map((p) => p.path)).toEqual([
      'compose.yaml#services.agent.privileged',
      'compose.yaml#services.agent.network_mode',
    ]);
    const bare = { ...app({ privileged: true }), source: undefined };
    expect(policyProblems([bare], DEFAULT_POLICY)[0]!.path).toBe('apps.agent.host.privileged');
  });
});
