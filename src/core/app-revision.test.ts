import { describe, expect, it } from 'vitest';
import type { AppSpec } from './model.ts';
import { appHistory, appRevision, previousSpec } from './app-revision.ts';

const base: AppSpec = {
  name: 'web',
  image: 'cloud/web:v1',
  replicas: 3,
  port: 8080,
  resources: { cpus: 0, memoryMb: 0 },
  constraints: [],
  affinity: [],
  antiAffinity: [],
  dependsOn: [],
  env: { A: '1', B: '2' },
  restart: 'unless-stopped',
};

describe('app revisions', () => {
  it('changes with what needs new containers, not with scale or placement rules', () => {
    const r = appRevision(base);
    expect(appRevision({ ...base, replicas: 9, constraints: [{ key: 'zone', op: '==', value: 'a' }] })).toBe(r);
    expect(appRevision({ ...base, env: { B: '2', A: '1' } })).toBe(r);
    expect(appRevision({ ...base, image: 'cloud/web:v2' })).not.toBe(r);
    expect(appRevision({ ...base, env: { A: '1' } })).not.toBe(r);
    expect(appRevision({ ...base, resources: { cpus: 1, memoryMb: 0 } })).not.toBe(r);
    expect(appRevision({ ...base, command: ['nc', '-l'] })).not.toBe(r);
    expect(appRevision({ ...base, entrypoint: ['nc', '-l'] })).not.toBe(appRevision({ ...base, command: ['nc', '-l'] }));
    expect(appRevision({ ...base, command: ['a', 'b'] })).not.toBe(appRevision({ ...base, command: ['a b'] }));
  });

  it('is what it was before command and entrypoint existed, for an app without them', () => {
    // pinned: a deployed app must not roll because the manager learnt new keys
    expect(appRevision(base)).toBe('52c645b8c6ab');
  });

  it('lists distinct revisions newest first and finds the one to roll back to', () => {
    const v1 = base;
    const v2 = { ...base, image: 'cloud/web:v2' };
    const deps = [
      { generation: 5, createdAt: 't5', apps: [{ ...v2, replicas: 5 }] }, // a scale: same revision
      { generation: 4, createdAt: 't4', apps: [v2] },
      { generation: 3, createdAt: 't3', apps: [v1] },
      { generation: 2, createdAt: 't2', apps: [] },
      { generation: 1, createdAt: 't1', apps: [v1] },
    ];
    const h = appHistory('web', deps);
    expect(h.map((e) => [e.generation, e.image])).toEqual([
      [4, 'cloud/web:v2'],
      [3, 'cloud/web:v1'],
      [1, 'cloud/web:v1'],
    ]);
    expect(previousSpec('web', deps)?.image).toBe('cloud/web:v1');
    expect(previousSpec('web', [{ apps: [v1] }])).toBeNull();
    expect(previousSpec('nope', deps)).toBeNull();
    // a revision that failed and was rolled back is skipped, and marked in the history
    const bad = { ...base, image: 'cloud/web:bad' };
    const withFailure = [{ generation: 7, createdAt: 't7', apps: [v2] }, { generation: 6, createdAt: 't6', apps: [bad] }, ...deps];
    const failed = new Set([appRevision(bad)]);
    expect(previousSpec('web', withFailure, failed)?.image).toBe('cloud/web:v1');
    expect(appHistory('web', withFailure, failed).map((e) => [e.image, e.failed])).toEqual([
      ['cloud/web:v2', false],
      ['cloud/web:bad', true],
      ['cloud/web:v2', false],
      ['cloud/web:v1', false],
      ['cloud/web:v1', false],
    ]);
  });
});
