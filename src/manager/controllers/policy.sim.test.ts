/**
 * The host-access policy at deploy, on the `sim` driver: refused by default with the path and
 * the policy key, allowed kinds reach the containers, and a rollback cannot bring back what
 * the policy no longer allows.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import { DesiredState } from './desired-state.ts';
import { SIM_REGISTRY, simWorld } from './sim-world.ts';

const agent = (image: string, extra = '') => `services:
  agent:
    image: ${image}
    ports: ["8080"]
    privileged: true
    cap_add: [NET_ADMIN]
${extra}`;

const deploy = (d: DesiredState, source: string) => d.deploy({ file: 'compose.yaml', source, dryRun: false });

describe('the host-access policy at deploy', () => {
  it('refuses host access by default: every field with its path and the key to change, nothing recorded', async () => {
    const w = simWorld();
    await w.loop.pass();
    const err = (await deploy(w.desired, agent('cloud/agent')).catch((e: unknown) => e)) as { code: string; details?: { path: string; message: string }[] };
    expect(err.code).toBe('E_POLICY_DENIED');
    expect(err.details!.map((d) => d.path)).toEqual(['compose.yaml#services.agent.privileged', 'compose.yaml#services.agent.cap_add']);
    expect(err.details![0]!.message).toMatch(/"policy": \{ "privileged": true \} in manager\.json/);
    expect(w.store.currentDeployment()).toBeNull();
    expect(w.sim.running()).toEqual([]);
  });

  it('what the policy allows reaches the containers', async () => {
    const w = simWorld({ options: { policy: { ...DEFAULT_POLICY, privileged: true, capabilities: true } } });
    await w.loop.pass();
    await deploy(w.desired, agent('cloud/agent'));
    await w.settle(3);
    expect(w.running('agent').map((c) => c.replica.host)).toEqual([{ privileged: true, capAdd: ['NET_ADMIN'] }]);
    // a kind the policy does not allow is still refused
    await expect(deploy(w.desired, agent('cloud/agent', '    pid: host\n'))).rejects.toMatchObject({
      code: 'E_POLICY_DENIED',
      path: 'compose.yaml#services.agent.pid',
    });
  });

  it('a rollback onto a revision the policy no longer allows is refused', async () => {
    const w = simWorld({ options: { policy: { ...DEFAULT_POLICY, privileged: true, capabilities: true } } });
    await w.loop.pass();
    await deploy(w.desired, agent('cloud/agent:v1'));
    await deploy(w.desired, 'services:\n  agent:\n    image: cloud/agent:v2\n    ports: ["8080"]\n');
    await w.settle(10);
    // the operator tightens the policy (a manager restart with a new manager.json)
    const strict = new DesiredState(w.store, w.loop, { manifestExists: async () => true }, SIM_REGISTRY, w.lock, { policy: DEFAULT_POLICY });
    await expect(strict.rollback('agent')).rejects.toMatchObject({ code: 'E_POLICY_DENIED' });
    expect(w.store.currentDeployment()!.apps[0]!.image).toBe('cloud/agent:v2');
  });
});
