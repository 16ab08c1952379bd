import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from './health-probe.ts';

let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok') res.end('ok');
    else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
    else if (req.url === '/hang')
      return; // never answers
    else res.writeHead(503).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const check = (path: string) => ({ path, intervalS: 1, timeoutS: 0.3, threshold: 1, window: 1 });

describe('httpProbe', () => {
  it('passes on 2xx and 3xx, fails on 5xx, timeouts and closed ports', async () => {
    expect(await httpProbe('127.0.0.1', port, check('/ok'))).toBe(true);
    expect(await httpProbe('127.0.0.1', port, check('/moved'))).toBe(true);
    expect(await httpProbe('127.0.0.1', port, check('/bad'))).toBe(false);
    expect(await httpProbe('127.0.0.1', port, check('/hang'))).toBe(false);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await httpProbe('127.0.0.1', closedPort, check('/ok'))).toBe(false);
  });
});
