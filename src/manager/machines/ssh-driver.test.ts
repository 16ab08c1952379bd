import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sshCommand, sshTarget } from './ssh-driver.ts';

const home = mkdtempSync(join(tmpdir(), 'ssh-driver-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('sshTarget', () => {
  it('defaults to root on 22 with the first key of ~/.ssh', () => {
    expect(sshTarget({ sshHost: '10.0.0.5' }, home)).toEqual({ host: '10.0.0.5', port: 22, user: 'root', key: `${home}/.ssh/id_ed25519` });
  });

  it('falls back to ~/.ssh/id_rsa when there is no ed25519 key', () => {
    const h2 = join(home, 'rsa-only');
    mkdirSync(join(h2, '.ssh'), { recursive: true });
    writeFileSync(join(h2, '.ssh', 'id_rsa'), '');
    expect(sshTarget({ sshHost: 'h' }, h2).key).toBe(`${h2}/.ssh/id_rsa`);
  });

  it('takes the user, port and key given', () => {
    expect(sshTarget({ sshHost: 'db-1.example.com', sshUser: 'deploy', sshPort: '2222', sshKey: '/k' }, home)).toEqual({
      host: 'db-1.example.com',
      port: 2222,
      user: 'deploy',
      key: '/k',
    });
  });

  it('refuses a missing or odd host, user or port with the option as path', () => {
    expect(() => sshTarget({}, home)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'ssh-host' }));
    expect(() => sshTarget({ sshHost: 'a;rm -rf /' }, home)).toThrow(expect.objectContaining({ path: 'ssh-host' }));
    expect(() => sshTarget({ sshHost: 'h', sshUser: '-oProxyCommand=x' }, home)).toThrow(expect.objectContaining({ path: 'ssh-user' }));
    for (const p of ['0', '65536', '22x', ''])
      expect(() => sshTarget({ sshHost: 'h', sshPort: p }, home)).toThrow(expect.objectContaining({ path: 'ssh-port' }));
  });
});

describe('sshCommand', () => {
  it('is the stock ssh trusting only the recorded host key, the command after --', () => {
    const t = { host: '10.0.0.5', port: 2222, user: 'root', key: '/keys/id' };
    expect(sshCommand(t, '/home/machines/known_hosts', ['docker', 'ps'])).toEqual([
      'ssh',
      '-i',
      '/keys/id',
      '-p',
      '2222',
      '-o',
      'UserKnownHostsFile=/home/machines/known_hosts',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentitiesOnly=yes',
      'root@10.0.0.5',
      '--',
      'docker',
      'ps',
    ]);
    expect(sshCommand(t, '/kh', []).at(-1)).toBe('root@10.0.0.5');
  });
});
