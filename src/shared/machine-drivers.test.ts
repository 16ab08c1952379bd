import { describe, expect, it } from 'vitest';
import { allDriverOptions, checkCreate, DRIVER_INFO, optionKey, SSH_DRIVER } from './machine-drivers.ts';

describe('optionKey', () => {
  it("is commander's camelCase key of the long flag", () => {
    expect(optionKey('--ssh-host <host>')).toBe('sshHost');
    expect(optionKey('--install-docker')).toBe('installDocker');
    expect(optionKey('-d, --driver <driver>')).toBe('driver');
  });
});

describe('checkCreate', () => {
  it('returns the driver for a good request', () => {
    expect(checkCreate('ssh', 'web1', { sshHost: '10.0.0.5', installDocker: true }).name).toBe('ssh');
    expect(checkCreate('lab', undefined, { installDocker: false }).name).toBe('lab');
  });

  it('an unknown or missing driver is a coded error listing the drivers', () => {
    expect(() => checkCreate('virtualbox', 'x', {})).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'driver' }));
    expect(() => checkCreate(undefined, 'x', {})).toThrow(/--driver must be one of lab, ssh, local, sim$/);
  });

  it('a driver that needs a name gets one, and a name the cluster takes', () => {
    expect(() => checkCreate('ssh', undefined, { sshHost: 'h' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'name' }));
    for (const bad of ['vm-1.example', 'Web1', '-web', 'a'.repeat(64), 'web 1'])
      expect(() => checkCreate('ssh', bad, { sshHost: 'h' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'name' }));
    expect(checkCreate('ssh', '1web-a', { sshHost: 'h' }).name).toBe('ssh');
  });

  it('an option of another driver is named with the driver it belongs to, every one of them', () => {
    expect(() => checkCreate('lab', undefined, { sshHost: 'h' })).toThrow(
      expect.objectContaining({ path: 'ssh-host', message: '--ssh-host is an option of the ssh driver, not of lab' }),
    );
    try {
      checkCreate('lab', undefined, { sshHost: 'h', sshKey: 'k', installDocker: true });
      expect.unreachable();
    } catch (e) {
      expect((e as { details: unknown[] }).details).toHaveLength(3);
    }
  });

  it('an option shared by drivers is one option, offered once; every option says which drivers take it', () => {
    const keys = allDriverOptions().map((o) => optionKey(o.flags));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k === 'address')).toEqual(['address']);
    for (const d of DRIVER_INFO) for (const o of d.options) expect(o.description.split(':')[0]).toContain(d.name);
    expect(checkCreate('local', undefined, { address: '127.0.0.1', socket: '/run/docker.sock' }).name).toBe('local');
    expect(() => checkCreate('local', undefined, { sshHost: 'h' })).toThrow(/--ssh-host is an option of the ssh driver, not of local/);
    expect(SSH_DRIVER.options.length).toBeGreaterThan(0);
  });
});
