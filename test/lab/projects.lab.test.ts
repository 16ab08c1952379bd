/**
 * Projects in a real lab: deploying a second file never touches the first project's apps;
 * apps missing from a file are kept unless --prune; `matrix rm` removes one app, `matrix
 * project rm` a whole project; an empty file and another project's app name are refused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, labDown, labUpArgs, matrix, matrixOk, newLabEnv, until, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('projects', 216);

const SEED_PLAN = `simplewebapp1 node1 5050 8080
simplewebapp1 node2 5050 8080
simplewebapp2 node2 5051 8080
simplewebapp2 node3 5051 8080
`;

const shop = (apps: ('web' | 'api')[]) =>
  `apps:\n${apps.map((a) => `  ${a}:\n    image: cloud/${a === 'web' ? 'simplewebapp1' : 'simplewebapp2'}\n    replicas: ${a === 'web' ? 2 : 1}\n    port: 8080\n`).join('')}`;

function file(name: string, text: string): string {
  const dir = join(env.home, 'files');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** Waits until `path` answers `status` (and, for 200, the body names `image`: the sample apps print their image name). */
async function answers(path: string, status: number, image?: string): Promise<boolean> {
  const ok = (x: { status: number; body: string }) => x.status === status && (!image || x.body.includes(`app=${image}`));
  return ok(await until(() => get(env.ingressPort, path), ok, 120, 250));
}

async function psApps(): Promise<string[]> {
  const out = await matrixOk(env, ['ps']);
  return [
    ...new Set(
      out
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]!)
        .filter((a) => /^[a-z]/.test(a) && !/running/.test(a)),
    ),
  ].sort();
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
});

afterAll(async () => {
  await labDown(env);
});

describe('projects in a real lab', () => {
  it('deploying a second file adds its apps and leaves the first project alone', async () => {
    await matrixOk(env, ['deploy', file('applications.plan', SEED_PLAN)]);
    const out = await matrixOk(env, ['deploy', file('shop.yaml', shop(['web', 'api']))]);
    expect(out).toMatch(/^project shop$/m);
    expect(out).not.toMatch(/^did: \w+ simplewebapp/m);
    expect(out.match(/^did: start (web|api) /gm)).toHaveLength(3);
    expect(await answers('/simplewebapp1/', 200, 'simplewebapp1')).toBe(true);
    expect(await answers('/simplewebapp2/', 200, 'simplewebapp2')).toBe(true);
    expect(await answers('/web/', 200, 'simplewebapp1')).toBe(true);
    expect(await answers('/api/', 200, 'simplewebapp2')).toBe(true);
    const projects = await matrixOk(env, ['projects']);
    expect(projects).toMatch(/^applications\s+simplewebapp1,simplewebapp2\s+applications\.plan/m);
    expect(projects).toMatch(/^shop\s+api,web\s+shop\.yaml/m);
  });

  it("refuses another project's app name and an empty file, changing nothing", async () => {
    const owned = await matrix(env, ['deploy', file('t1.yaml', 'apps:\n  simplewebapp1: { image: cloud/simplewebapp1, port: 8080 }\n')]);
    expect(owned.code).not.toBe(0);
    expect(owned.stderr).toMatch(/error\[E_APP_OWNED\]: .*simplewebapp1 belongs to project applications/);
    for (const [name, text] of [
      ['shop.yaml', 'apps: {}\n'],
      ['applications.plan', '# nothing here\n'],
    ]) {
      const empty = await matrix(env, ['deploy', file(name!, text!)]);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/error\[E_SPEC_EMPTY\]: /);
    }
    expect(await psApps()).toEqual(['api', 'simplewebapp1', 'simplewebapp2', 'web']);
  });

  it('keeps an app missing from the file; --prune removes exactly that app', async () => {
    const kept = await matrixOk(env, ['deploy', file('shop.yaml', shop(['web']))]);
    expect(kept).toMatch(/^kept: api \(not in file; --prune removes it\)$/m);
    expect(await answers('/api/', 200, 'simplewebapp2')).toBe(true);

    const dry = await matrixOk(env, ['deploy', '--prune', '--dry-run', file('shop.yaml', shop(['web']))]);
    expect(dry).toMatch(/^would: drain api on node\d .*not in plan/m);
    expect(dry).not.toMatch(/would: .*(web|simplewebapp)/);
    const pruned = await matrixOk(env, ['deploy', '--prune', file('shop.yaml', shop(['web']))]);
    expect(pruned).toMatch(/^did: drain api on node\d /m);
    expect(await answers('/api/', 404)).toBe(true);
    await until(psApps, (a) => !a.includes('api'), 60);
    expect(await psApps()).toEqual(['simplewebapp1', 'simplewebapp2', 'web']);
    expect(await answers('/web/', 200, 'simplewebapp1')).toBe(true);
    expect(await answers('/simplewebapp2/', 200, 'simplewebapp2')).toBe(true);
  });

  it('matrix rm removes one app, matrix project rm a project', async () => {
    const missing = await matrix(env, ['rm', 'web', 'nosuchapp']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/error\[E_NOT_FOUND\]: nosuchapp: no app named nosuchapp; nothing was removed/);
    expect(await answers('/web/', 200, 'simplewebapp1')).toBe(true);

    const rm = await matrixOk(env, ['rm', 'web']);
    expect(rm).toMatch(/^removed: web$/m);
    expect(await answers('/web/', 404)).toBe(true);
    expect(await answers('/simplewebapp1/', 200, 'simplewebapp1')).toBe(true);
    await until(psApps, (a) => !a.includes('web'), 60);
    expect(await psApps()).toEqual(['simplewebapp1', 'simplewebapp2']);

    const gone = await matrixOk(env, ['project', 'rm', 'applications']);
    expect(gone).toMatch(/removed project applications and its apps: simplewebapp1, simplewebapp2/);
    expect(await answers('/simplewebapp1/', 404)).toBe(true);
    await until(psApps, (a) => a.length === 0, 60);
    expect(await matrixOk(env, ['projects'])).not.toMatch(/applications/);
  });
});

describe('one image, several roles', () => {
  it('command and entrypoint run the container as the spec says, and a new command rolls the app', async () => {
    const role = (r: string) =>
      file(
        'roles.yaml',
        `apps:\n  role:\n    image: cloud/simplewebapp1\n    replicas: 2\n    port: 8080\n    entrypoint: [/bin/sh, -c]\n` +
          `    command:\n      - echo "role=${r} on $MATRIX_NODE" > /www/index.html && mkdir -p /www/role && cp /www/index.html /www/role/ && exec httpd -f -p 8080 -h /www\n`,
      );
    /** Deploys the app in role `r` and returns the first page through the ingress that says so. */
    const deployed = async (r: string) => {
      await matrixOk(env, ['deploy', role(r)]);
      return (
        await until(
          () => get(env.ingressPort, '/role/'),
          (a) => a.status === 200 && a.body.includes(`role=${r}`),
          120,
          250,
        )
      ).body;
    };
    const leader = await deployed('leader');
    expect(leader).toMatch(/^role=leader on node\d$/m);
    expect(leader).not.toContain('app=simplewebapp1'); // not the image's own start script
    expect(await deployed('follower')).toMatch(/^role=follower on node\d$/m);
    await matrixOk(env, ['rm', 'role']);
  });
});
