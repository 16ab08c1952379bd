/**
 * Secrets through desired state, on the `sim` driver with the real store and vault: deploys
 * stamp versions, a rotation rolls the apps that use the secret, a secret in use cannot be
 * removed, and values never appear in what the store, the events or the answers hold.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET_LIMITS } from '../../core/secrets.ts';
import { simWorld } from './sim-world.ts';

const dir = mkdtempSync(join(tmpdir(), 'mx-secrets-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PW1 = 'first-password-9f8e7d';
const PW2 = 'second-password-1a2b3c';

function world() {
  const db = join(dir, `${randomBytes(4).toString('hex')}.db`);
  const w = simWorld({ db });
  /** What each running container of the app was given. */
  const given = (app: string) =>
    w.running(app).map((c) => ({ files: Object.fromEntries(c.secrets.files.map((f) => [f.file, f.data.toString()])), env: c.secrets.env }));
  return { ...w, db, given };
}

const SPEC = `apps:
  web:
    image: cloud/web
    replicas: 2
    port: 8080
    secrets:
      - db
      - name: db
        env: DB_PASSWORD
`;

const deploy = (w: ReturnType<typeof world>, source = SPEC) => w.desired.deploy({ file: 'matrix.yaml', source, dryRun: false });

describe('secrets in desired state', () => {
  it('refuses a deploy that names a secret the store does not have, with the path, recording nothing', async () => {
    const w = world();
    await w.loop.pass();
    const err = await deploy(w).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_NOT_FOUND' });
    const all = [err as { path?: string; details?: { path: string }[] }].flatMap((e) => (e.details ? e.details.map((d) => d.path) : [e.path]));
    expect(all).toEqual(['matrix.yaml#apps.web.secrets[0]', 'matrix.yaml#apps.web.secrets[1]']);
    expect(w.store.currentDeployment()).toBeNull();
    // a dry run says the same
    await expect(w.desired.deploy({ file: 'matrix.yaml', source: SPEC, dryRun: true })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('gives containers the values; a rotation rolls the app to the new value; values stay out of the store and events', async () => {
    const w = world();
    await w.loop.pass();
    const created = await w.desired.setSecret('db', Buffer.from(PW1));
    expect(created).toMatchObject({ created: true, change: null, secret: { name: 'db', version: 1, usedBy: [] } });
    await deploy(w);
    await w.settle(5);
    expect(w.store.currentDeployment()!.apps[0]!.secrets).toEqual([
      { name: 'db', file: 'db', version: 1 },
      { name: 'db', env: 'DB_PASSWORD', version: 1 },
    ]);
    expect(w.given('web')).toEqual([
      { files: { db: PW1 }, env: { DB_PASSWORD: PW1 } },
      { files: { db: PW1 }, env: { DB_PASSWORD: PW1 } },
    ]);
    // deploying the same file again changes nothing (the versions are stamped before comparing)
    const again = await deploy(w);
    expect(again.unchanged).toEqual(['web']);

    const rotated = await w.desired.setSecret('db', Buffer.from(PW2));
    expect(rotated.created).toBe(false);
    expect(rotated.secret).toMatchObject({ version: 2, usedBy: ['web'] });
    expect(rotated.change).toMatchObject({ changed: ['web'], generation: 3 });
    await w.settle(30);
    expect(w.given('web')).toEqual([
      { files: { db: PW2 }, env: { DB_PASSWORD: PW2 } },
      { files: { db: PW2 }, env: { DB_PASSWORD: PW2 } },
    ]);
    expect(w.desired.secrets()).toMatchObject([{ name: 'db', version: 2, usedBy: ['web'] }]);

    const everything = JSON.stringify([w.desired.secrets(), w.events.list({}), w.store.deploymentHistory(10), rotated, created]);
    for (const pw of [PW1, PW2]) expect(everything).not.toContain(pw);
    w.store.close();
    for (const f of [w.db, `${w.db}-wal`]) {
      const bytes = (() => {
        try {
          return readFileSync(f);
        } catch {
          return Buffer.alloc(0);
        }
      })();
      for (const pw of [PW1, PW2]) expect(bytes.includes(Buffer.from(pw))).toBe(false);
    }
  });

  it('a secret in use cannot be removed; once no app uses it, it can', async () => {
    const w = world();
    await w.loop.pass();
    await w.desired.setSecret('db', Buffer.from(PW1));
    await deploy(w);
    await expect(w.desired.removeSecret('db')).rejects.toMatchObject({ code: 'E_SECRET_IN_USE', message: expect.stringContaining('web') });
    expect(w.desired.secrets().map((s) => s.name)).toEqual(['db']);
    await w.desired.removeApps(['web']);
    expect(await w.desired.removeSecret('db')).toEqual({ removed: 'db' });
    await expect(w.desired.removeSecret('db')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a rollback keeps the current secret version (only the current value exists)', async () => {
    const w = world();
    await w.loop.pass();
    await w.desired.setSecret('db', Buffer.from(PW1));
    await deploy(w);
    await w.settle(10);
    await deploy(w, SPEC.replace('cloud/web', 'cloud/web:v2'));
    await w.settle(30);
    await w.desired.setSecret('db', Buffer.from(PW2));
    await w.settle(30);
    const r = await w.desired.rollback('web');
    expect(r.to).toBe('cloud/web');
    await w.settle(30);
    const app = w.store.currentDeployment()!.apps[0]!;
    expect(app.image).toBe('cloud/web');
    expect(app.secrets!.map((s) => s.version)).toEqual([2, 2]);
    expect(w.given('web').map((g) => g.files.db)).toEqual([PW2, PW2]);
  });

  it('validates names and values before storing anything', async () => {
    const w = world();
    await expect(w.desired.setSecret('../etc', Buffer.from('x'))).rejects.toMatchObject({ code: 'E_BAD_REQUEST', path: 'name' });
    await expect(w.desired.setSecret('ok', Buffer.alloc(0))).rejects.toMatchObject({ code: 'E_BAD_REQUEST', path: 'value' });
    await expect(w.desired.setSecret('ok', Buffer.alloc(512 * 1024 + 1))).rejects.toMatchObject({ code: 'E_BAD_REQUEST', path: 'value' });
    expect(w.store.listSecrets()).toEqual([]);
  });

  it('holds at most SECRET_LIMITS.total secrets; replacing one at the limit still works', async () => {
    const w = world();
    for (let i = 0; i < SECRET_LIMITS.total; i++) w.store.putSecret(w.vault.seal(`s${i}`, Buffer.from('x')), new Date());
    await expect(w.desired.setSecret('one-more', Buffer.from('x'))).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringContaining('limit') });
    expect((await w.desired.setSecret('s0', Buffer.from('y'))).secret.version).toBe(2);
    expect(w.store.listSecrets()).toHaveLength(SECRET_LIMITS.total);
  });
});
