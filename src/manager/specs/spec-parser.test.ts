import { afterAll, describe, expect, it, vi } from 'vitest';
import { SPEC_LIMITS } from '../../core/appspec/limits.ts';
import { SpecParser } from './spec-parser.ts';
import { bigValidSpec } from './testdata/big-spec.ts';

const parsers: SpecParser[] = [];
const parser = (o: ConstructorParameters<typeof SpecParser>[0] = {}) => {
  const p = new SpecParser(o);
  parsers.push(p);
  return p;
};
afterAll(async () => {
  for (const p of parsers) await p.close();
});

describe('parsing specs in a worker', () => {
  const p = parser();

  it('returns what the pure loader returns', async () => {
    const spec = await p.parse('name: shop\napps:\n  web: { image: cloud/web, port: 8080, replicas: 2 }\n', 'shop.yaml');
    expect(spec).toMatchObject({ kind: 'matrix', name: 'shop', apps: [{ name: 'web', replicas: 2, port: 8080 }] });
  });

  it('a warmed worker that dies while idle is replaced at the next parse', async () => {
    const q = parser({ timeoutMs: 5_000 });
    q.warm();
    // reach in as a crash would: the worker ends with no parse under way
    await (q as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setImmediate(r));
    await expect(q.parse('apps:\n  web: { image: cloud/web, port: 8080 }\n', 'a.yaml')).resolves.toMatchObject({ apps: [{ name: 'web' }] });
  });

  it('ends an idle worker, and the next parse starts a new one', async () => {
    const q = parser({ idleMs: 50 });
    q.warm();
    expect(q.running).toBe(true);
    await vi.waitFor(() => expect(q.running).toBe(false));
    await expect(q.parse('apps:\n  web: { image: cloud/web, port: 8080 }\n', 'a.yaml')).resolves.toMatchObject({ apps: [{ name: 'web' }] });
    expect(q.running).toBe(true); // kept for the next parse until idle again
    await vi.waitFor(() => expect(q.running).toBe(false));
  });

  it("throws the spec's own error with its code, path and details", async () => {
    const err = await p.parse('apps:\n  web: { image: cloud/web, port: 99999, replicas: -1 }\n', 'bad.yaml').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MatrixError', code: 'E_SPEC_INVALID' });
    const paths = (err as { details?: { path?: string }[] }).details?.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['apps.web.port', 'apps.web.replicas']));
    await expect(p.parse('x'.repeat(SPEC_LIMITS.bytes + 1), 'huge.yaml')).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
  });

  it('leaves the event loop free while it parses a large spec', async () => {
    const order: string[] = [];
    const parsed = p.parse(bigValidSpec(), 'big.yaml').then((s) => {
      order.push('parsed');
      return s;
    });
    // on the caller's thread this timer could only run after the parse returned
    setImmediate(() => order.push('timer'));
    expect((await parsed).apps.length).toBeGreaterThan(400);
    expect(order).toEqual(['timer', 'parsed']);
  });

  it('ends a parse that never finishes, and the next parse gets a fresh worker', async () => {
    const spinning = parser({ timeoutMs: 3_000, workerModule: new URL('./testdata/spinning-worker.ts', import.meta.url) });
    await expect(spinning.parse('apps: {}\n', 'slow.yaml')).rejects.toMatchObject({ code: 'E_INPUT_TOO_COMPLEX', path: 'slow.yaml' });
    await expect(spinning.parse('apps: {}\n', 'slow.yaml')).rejects.toMatchObject({ code: 'E_INPUT_TOO_COMPLEX' });
  }, 30_000);

  it('ends a parse that needs more memory than its limit', async () => {
    const hungry = parser({ heapMb: 32, timeoutMs: 60_000, workerModule: new URL('./testdata/hungry-worker.ts', import.meta.url) });
    await expect(hungry.parse('apps: {}\n', 'fat.yaml')).rejects.toMatchObject({ code: 'E_INPUT_TOO_COMPLEX', message: expect.stringMatching(/32 MiB/) });
  }, 90_000);

  it('keeps working after a failed parse', async () => {
    await expect(p.parse('[[[[', 'a.yaml')).rejects.toMatchObject({ code: 'E_SPEC_INVALID' });
    expect((await p.parse('apps:\n  api: { image: cloud/api, port: 80 }\n', 'b.yaml')).apps[0]!.name).toBe('api');
  });
});
