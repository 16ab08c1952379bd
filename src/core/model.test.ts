import { describe, expect, it } from 'vitest';
import { engineHost, engineShown } from './model.ts';

describe('engineHost / engineShown', () => {
  it('name a TCP engine as the docker CLI does, with IPv6 in brackets', () => {
    expect(engineHost({ address: '10.0.0.11', enginePort: 2376 })).toBe('tcp://10.0.0.11:2376');
    expect(engineHost({ address: 'fd00::11', enginePort: 2376 })).toBe('tcp://[fd00::11]:2376');
    expect(engineShown({ address: '10.0.0.11', enginePort: 2376 })).toBe('10.0.0.11:2376');
  });

  it('name an engine on a unix socket by its socket, whatever its address', () => {
    const local = { address: '127.0.0.1', enginePort: 2376, socket: '/var/run/docker.sock' };
    expect(engineHost(local)).toBe('unix:///var/run/docker.sock');
    expect(engineShown(local)).toBe('unix:///var/run/docker.sock');
  });
});
