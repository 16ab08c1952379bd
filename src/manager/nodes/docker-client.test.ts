/**
 * The engine client against a peer whose TCP connect never completes, as a powered-off node's
 * address behaves: a listening socket that never accepts, its accept queue full, so the
 * kernel drops further SYNs and the client retries them for a minute or more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pki } from '../pki/pki.ts';
import { engineClient, pingEngine, type ClientTls } from './docker-client.ts';

const LISTEN_NEVER_ACCEPT =
  'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()\n';

let dir: string;
let tls: ClientTls;
let peer: ChildProcess;
let port: number;
const fillers: Socket[] = [];

/** Resolves true when a plain TCP connect completes within `ms`. */
function connects(ms: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    fillers.push(s);
    const t = setTimeout(() => res(false), ms);
    s.once('connect', () => (clearTimeout(t), res(true)));
    s.once('error', () => (clearTimeout(t), res(false)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-dc-'));
  const pki = new Pki(join(dir, 'pki'));
  await pki.ensureCa();
  await pki.ensureClientCert();
  tls = pki.clientTls();
  peer = spawn('python3', ['-c', LISTEN_NEVER_ACCEPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  port = await new Promise<number>((res) => peer.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim()))));
  // fill the accept queue: from then on a connect hangs (the proof that the peer is what we need)
  let hung = false;
  for (let i = 0; i < 8 && !hung; i++) hung = !(await connects(300));
  expect(hung).toBe(true);
});

afterAll(() => {
  for (const s of fillers) s.destroy();
  peer?.stdin?.end();
  peer?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * How long `call` takes to settle. Without its own deadline it would settle only when Node's
 * global agent times the socket out (5 s) or the kernel gives up (minutes): a 300 ms deadline
 * that takes 3 s has failed, however loaded the machine.
 */
async function settleMs(call: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await call.catch(() => undefined);
  return performance.now() - t0;
}
const BOUND_MS = 3_000;

describe('engine client against an address that never completes a connect', () => {
  const peerNode = () => ({ address: '127.0.0.1', enginePort: port });

  it('a ping answers false at its own timeout, not when the socket gives up', async () => {
    const ping = pingEngine(peerNode(), tls, 300);
    expect(await settleMs(ping)).toBeLessThan(BOUND_MS);
    expect(await ping).toBe(false);
  }, 30_000);

  it('a read fails at its own timeout, not when the socket gives up', async () => {
    const list = engineClient(peerNode(), tls, 300).listContainers();
    expect(await settleMs(list)).toBeLessThan(BOUND_MS);
    await expect(list).rejects.toThrow();
  }, 30_000);
});
