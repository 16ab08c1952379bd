import { describe, expect, it } from 'vitest';
import { appSpec } from '../../core/app-spec.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { failRollout, rollbackPlan } from './rollback.ts';

const web = (image: string, project: string) => appSpec({ name: 'web', image, port: 8080, replicas: 3, project });
const save = (store: SqliteStore, image: string, project: string, replicas = 3) =>
  store.saveDeployment({ kind: 'matrix', file: `${project}.yaml`, source: '', strategy: 'spread', apps: [{ ...web(image, project), replicas }] }, new Date());

describe('rollback', () => {
  it('returns to the previous revision with the current replica count, in the project that owns the app now', () => {
    const store = new SqliteStore(':memory:');
    save(store, 'cloud/web:v1', 'old-name');
    const current = save(store, 'cloud/web:v2', 'shop', 5);
    const back = rollbackPlan(store, current, 'web')!;
    expect([back.from.image, back.to.image]).toEqual(['cloud/web:v2', 'cloud/web:v1']);
    expect(back.next.apps).toEqual([{ ...web('cloud/web:v1', 'shop'), replicas: 5 }]);
  });

  it('a failed rollout marks its revision failed, so neither rollback goes back onto it', () => {
    const store = new SqliteStore(':memory:');
    save(store, 'cloud/web:v1', 'shop');
    save(store, 'cloud/web:v2', 'shop');
    const bad = save(store, 'cloud/web:v3', 'shop');
    expect(failRollout(store, bad, 'web')!.to.image).toBe('cloud/web:v2');
    const again = save(store, 'cloud/web:v2', 'shop');
    expect(rollbackPlan(store, again, 'web')!.to.image).toBe('cloud/web:v1');
    expect(rollbackPlan(store, save(store, 'cloud/web:v1', 'shop'), 'web')!.to.image).toBe('cloud/web:v2');
  });
});
