/** A bounded fixed-rate HTTP load from the bench process to 127.0.0.1:<port>. */
import http from 'node:http';
import type { ClientAnswer } from './swarm-commands.ts';

export interface LoadOptions {
  port: number;
  path?: string;
  rate: number;
  seconds: number;
  timeoutMs?: number;
}

function once(agent: http.Agent, o: LoadOptions): Promise<ClientAnswer> {
  const t0 = performance.now();
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port: o.port, path: o.path ?? '/', timeout: o.timeoutMs ?? 5000, agent }, (r) => {
      r.resume();
      r.on('end', () => res({ ok: (r.statusCode ?? 0) >= 200 && (r.statusCode ?? 0) < 300, ms: performance.now() - t0 }));
      r.on('error', () => res({ ok: false, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res({ ok: false, ms: performance.now() - t0 }));
  });
}

/** One request every 1/rate s for `seconds`, whatever the answers do; resolves with all answers. */
export function fixedRateLoad(o: LoadOptions): Promise<ClientAnswer[]> {
  // the same pool as bench/lab-bench.ts's load on cloudmatrix: equal sockets for every system
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const answers: Promise<ClientAnswer>[] = [];
  return new Promise((resolve) => {
    const timer = setInterval(() => answers.push(once(agent, o)), 1000 / o.rate);
    setTimeout(async () => {
      clearInterval(timer);
      const all = await Promise.all(answers);
      agent.destroy();
      resolve(all);
    }, o.seconds * 1000);
  });
}
