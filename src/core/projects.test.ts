import { describe, expect, it } from 'vitest';
import { appSpec } from './app-spec.ts';
import type { AppSpec } from './model.ts';
import { deployProject, projectNameFromFile, projectsOf, removeApps, resolveProject } from './projects.ts';

const app = (name: string, project?: string, extra: Partial<AppSpec> = {}): AppSpec =>
  appSpec({ name, image: `cloud/${name}`, port: 8080, ...(project ? { project } : {}), ...extra });

describe('project names', () => {
  it('come from the file name when nothing else names them', () => {
    expect(projectNameFromFile('applications.plan')).toBe('applications');
    expect(projectNameFromFile('/a/b/My App.yaml')).toBe('my-app');
    expect(projectNameFromFile('docker-compose.yml')).toBe('docker-compose');
    expect(projectNameFromFile('.yaml')).toBe('default');
    expect(projectNameFromFile('ÄÖÜ.yaml')).toBe('default');
    expect(projectNameFromFile('x'.repeat(100) + '.plan')).toHaveLength(63);
  });

  it('take the file key first, then --project, then the file name', () => {
    expect(resolveProject({ specName: 'shop', flag: 'other', file: 'a.yaml' })).toEqual({
      name: 'shop',
      warning: expect.stringMatching(/names its project "shop"; --project other is ignored/),
    });
    expect(resolveProject({ specName: 'shop', flag: 'shop', file: 'a.yaml' })).toEqual({ name: 'shop' });
    expect(resolveProject({ flag: 'other', file: 'a.yaml' })).toEqual({ name: 'other' });
    expect(resolveProject({ file: 'applications.plan' })).toEqual({ name: 'applications' });
    expect(() => resolveProject({ flag: 'Bad Name', file: 'a.yaml' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'project' }));
  });
});

describe('deploying a project', () => {
  const cluster = [app('simplewebapp1', 'applications'), app('simplewebapp2', 'applications'), app('web', 'shop'), app('api', 'shop')];

  it('never touches another project', () => {
    const r = deployProject(cluster, 'extra', [app('t1')], { prune: false, file: 't1.yaml' });
    expect(r.apps.map((a) => `${a.name}@${a.project}`)).toEqual([
      'api@shop',
      'simplewebapp1@applications',
      'simplewebapp2@applications',
      't1@extra',
      'web@shop',
    ]);
    expect(r.added).toEqual(['t1']);
    expect(r.kept).toEqual([]);
    expect(r.pruned).toEqual([]);
    for (const a of cluster) expect(r.apps.find((x) => x.name === a.name)).toEqual(a);
  });

  it('keeps its own apps missing from the file unless it prunes', () => {
    const kept = deployProject(cluster, 'shop', [app('web')], { prune: false, file: 'shop.yaml' });
    expect(kept.kept).toEqual(['api']);
    expect(kept.unchanged).toEqual(['web']);
    expect(kept.apps.map((a) => a.name)).toContain('api');
    const pruned = deployProject(cluster, 'shop', [app('web', undefined, { replicas: 3 })], { prune: true, file: 'shop.yaml' });
    expect(pruned.pruned).toEqual(['api']);
    expect(pruned.changed).toEqual(['web']);
    expect(pruned.apps.map((a) => a.name)).toEqual(['simplewebapp1', 'simplewebapp2', 'web']);
  });

  it('refuses an app name another project owns, naming the owner', () => {
    const one = () => deployProject(cluster, 'extra', [app('web', undefined, { source: 'extra.yaml' })], { prune: true, file: 'extra.yaml' });
    expect(one).toThrow(expect.objectContaining({ code: 'E_APP_OWNED', path: 'extra.yaml', message: expect.stringMatching(/web belongs to project shop/) }));
    try {
      deployProject(cluster, 'extra', [app('web'), app('api')], { prune: false, file: 'x' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_APP_OWNED', details: [{ path: 'apps.web' }, { path: 'apps.api' }] });
    }
  });

  it('refuses an empty file instead of removing everything', () => {
    expect(() => deployProject(cluster, 'shop', [], { prune: true, file: 'empty.yaml' })).toThrow(
      expect.objectContaining({ code: 'E_SPEC_EMPTY', path: 'empty.yaml' }),
    );
  });

  it('gives the file strategy to the apps that name none', () => {
    const r = deployProject([], 'p', [app('a'), app('b', undefined, { strategy: 'spread' })], { prune: false, file: 'p.yaml', strategy: 'binpack' });
    expect(r.apps.map((a) => a.strategy)).toEqual(['binpack', 'spread']);
  });
});

describe('removing apps', () => {
  it('removes exactly the named apps, or nothing when one is unknown', () => {
    const apps = [app('a', 'p'), app('b', 'p'), app('c', 'q')];
    expect(removeApps(apps, ['b']).map((a) => a.name)).toEqual(['a', 'c']);
    expect(() => removeApps(apps, ['b', 'zz'])).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND', path: 'zz' }));
    expect(projectsOf(apps)).toEqual([
      { name: 'p', apps: ['a', 'b'] },
      { name: 'q', apps: ['c'] },
    ]);
  });
});
