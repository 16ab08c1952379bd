import { describe, expect, it } from 'vitest';
import { localShell, localTarget } from './local-driver.ts';

describe('local driver', () => {
  it("defaults to the host's Docker socket and loopback for published ports", () => {
    expect(localTarget({})).toEqual({ socket: '/var/run/docker.sock', address: '127.0.0.1' });
    expect(localTarget({ socket: '/run/user/0/docker.sock', address: '10.0.0.5' })).toEqual({ socket: '/run/user/0/docker.sock', address: '10.0.0.5' });
  });

  it('refuses a relative or odd socket path and a non-IP address, naming the option', () => {
    for (const socket of ['docker.sock', '/a b', `/${'x'.repeat(107)}`, ''])
      expect(() => localTarget({ socket })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'socket' }));
    expect(() => localTarget({ address: 'localhost' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'address' }));
  });

  it('its shell is a shell on this host', () => {
    expect(localShell(['docker', 'ps'])).toEqual(['docker', 'ps']);
    expect(localShell([], '/bin/zsh')).toEqual(['/bin/zsh']);
  });
});
