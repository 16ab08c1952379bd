/**
 * The API over HTTPS with a certificate from the cluster CA, and the CLI's client trusting
 * exactly that CA: what lets the manager listen beyond loopback without sending the token
 * in clear. Real TLS on loopback, real store, loop and desired-state service.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.ts';
import { homePaths } from '../../shared/home.ts';
import { Serial } from '../../util/serial.ts';
import { ControlLoop } from '../controllers/control-loop.ts';
import { DesiredState } from '../controllers/desired-state.ts';
import { EventLog } from '../controllers/event-log.ts';
import { createCa } from '../pki/certs.ts';
import { Pki } from '../pki/pki.ts';
import { apiSans } from '../pki/sans.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { hashToken, newToken } from './auth.ts';
import { buildApi } from './server.ts';

const TOKEN = newToken();
let dir = '';
let url = '';
let ca = '';
let api: ReturnType<typeof buildApi> | undefined;
let loop: ControlLoop | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-https-'));
  const pki = new Pki(join(dir, 'pki'));
  await pki.ensureCa();
  const cert = await pki.ensureServerCert('api', apiSans('127.0.0.1', []));
  ca = pki.caPem();
  const store = new SqliteStore(':memory:');
  const log = pino({ level: 'silent' });
  const lock = new Serial();
  loop = new ControlLoop({ store, engines: () => null as never, consumers: [], events: new EventLog(), log, registry: '127.0.0.1:5000', desiredLock: lock });
  const desired = new DesiredState(store, loop, { manifestExists: async () => true }, '127.0.0.1:5000', lock);
  api = buildApi(
    { tokenHash: hashToken(TOKEN), store, loop, desired, log, pushSampleImages: async () => [], info: () => ({}) },
    { https: { key: readFileSync(cert.key, 'utf8'), cert: readFileSync(cert.cert, 'utf8') } },
  );
  await api.listen({ host: '127.0.0.1', port: 0 });
  url = `https://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await api?.close();
  loop?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the API over HTTPS', () => {
  it('answers a client that trusts the cluster CA, and checks the token as over HTTP', async () => {
    expect((await new ApiClient(url, TOKEN, { ca }).status()).generation).toBe(0);
    await expect(new ApiClient(url, newToken(), { ca }).status()).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('a client that does not trust the cluster CA refuses the connection (and says how to fix it)', async () => {
    const err = await new ApiClient(url, TOKEN).status().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_MANAGER_UNREACHABLE' });
    expect((err as Error).message).toMatch(/certificate/);
    expect((err as Error).message).toMatch(/MATRIX_CA/);
    const rogue = await createCa('rogue CA');
    await expect(new ApiClient(url, TOKEN, { ca: rogue.certPem }).status()).rejects.toMatchObject({ code: 'E_MANAGER_UNREACHABLE' });
  });

  it('plain HTTP to the TLS port gets nothing', async () => {
    await expect(new ApiClient(url.replace('https:', 'http:'), TOKEN).status()).rejects.toBeTruthy();
  });

  it('the CLI finds the URL and the CA from the home: https, and loopback when the API listens on every address', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'pki'), { recursive: true });
    writeFileSync(join(home, 'manager.json'), JSON.stringify({ api: '0.0.0.0:7443', apiTls: true }));
    writeFileSync(join(home, 'pki', 'ca.pem'), ca);
    expect(ApiClient.fromEnv(homePaths(home), {}).baseUrl).toBe('https://127.0.0.1:7443');
    writeFileSync(join(home, 'manager.json'), JSON.stringify({ api: '127.0.0.1:7070' }));
    expect(ApiClient.fromEnv(homePaths(home), {}).baseUrl).toBe('http://127.0.0.1:7070');
    expect(ApiClient.fromEnv(homePaths(home), { MATRIX_API: 'https://10.0.0.5:7443/' }).baseUrl).toBe('https://10.0.0.5:7443');
  });
});
