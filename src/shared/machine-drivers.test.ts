import { describe, expect, it } from 'vitest';
import { checkCreate, DRIVER_INFO, optionKey, SSH_DRIVER } from './machine-drivers.ts';

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
    expect(() => checkCreate(undefined, 'x', {})).toThrow(/--driver must be one of lab, ssh$/);
  });

  it('a driver that needs a name gets one', () => {
    expect(() => checkCreate('ssh', undefined, { sshHost: 'h' })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'name' }));
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

  it('every option flag is unique and says which driver it is for', () => {
    const flags = DRIVER_INFO.flatMap((d) => d.options.map((o) => optionKey(o.flags)));
    expect(new Set(flags).size).toBe(flags.length);
    for (const o of SSH_DRIVER.options) expect(o.description).toMatch(/^ssh: /);
  });
});
