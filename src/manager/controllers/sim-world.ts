/**
 * For tests: a small cluster on the `sim` driver with the real store, vault, control loop
 * and desired-state service, a clock the test moves, and no consumers.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Serial } from '../../util/serial.ts';
import { SimCluster } from '../drivers/sim/sim-cluster.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { Vault } from '../secrets/vault.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { ControlLoop } from './control-loop.ts';
import { DesiredState, type DesiredStateOptions } from './desired-state.ts';
import { EventLog } from './event-log.ts';

export const SIM_REGISTRY = 'reg.sim:5000';

export function simWorld(o: { db?: string; nodes?: number; options?: DesiredStateOptions } = {}) {
  const store = new SqliteStore(o.db ?? ':memory:');
  const vault = new Vault(store, SecretBox.fromKey(randomBytes(32)));
  const sim = new SimCluster(vault.read);
  for (let i = 1; i <= (o.nodes ?? 2); i++) store.upsertNode(sim.add({ name: `n${i}`, capacity: { cpus: 4, memoryMb: 4096 } }));
  const clock = { now: 1_000_000 };
  const events = new EventLog();
  const lock = new Serial();
  const loop = new ControlLoop({
    store,
    engines: sim.engines(),
    probe: sim.probe(),
    now: () => clock.now,
    consumers: [],
    events,
    log: pino({ level: 'silent' }),
    registry: SIM_REGISTRY,
    desiredLock: lock,
  });
  const desired = new DesiredState(store, loop, { manifestExists: async () => true }, SIM_REGISTRY, lock, { vault, ...o.options });
  /** Passes of the loop, one simulated second apart. */
  const settle = async (ticks = 30) => {
    for (let i = 0; i < ticks; i++) {
      clock.now += 1000;
      await loop.pass();
    }
  };
  /** The running containers of an app, as the sim engines hold them. */
  const running = (app: string) =>
    [...sim.nodes.values()].flatMap((n) => [...n.containers.values()].filter((c) => c.replica.app === app && c.state === 'running'));
  return { store, vault, sim, loop, lock, desired, events, clock, settle, running };
}
