import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// in a process of its own: the require cache is per process, and other tests load dockerode whole
const probe = `
import { createRequire } from 'node:module';
const { default: Docker, unusedDockerodeParts } = await import(${JSON.stringify(new URL('./dockerode.ts', import.meta.url).href)});
const cache = Object.keys(createRequire(import.meta.url).cache);
const d = new Docker({ socketPath: '/nonexistent.sock' });
let sessionError = '';
try { createRequire(import.meta.url)(Object.keys(unusedDockerodeParts())[0])(); } catch (e) { sessionError = e.message; }
console.log(JSON.stringify({
  grpc: cache.filter((k) => k.includes('@grpc') || k.includes('protobufjs')).length,
  ssh2: cache.filter((k) => k.includes('/ssh2/')).length,
  dockerode: cache.some((k) => k.includes('/dockerode/lib/docker.js')),
  listContainers: typeof d.listContainers,
  sessionError,
}));
`;

describe('dockerode without its unused parts', () => {
  it('loads dockerode with neither gRPC nor ssh2, and says so if a stubbed part is ever called', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      grpc: 0,
      ssh2: 0,
      dockerode: true,
      listContainers: 'function',
      sessionError: expect.stringMatching(/BuildKit sessions .* left out/),
    });
  });
});
