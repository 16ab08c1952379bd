import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../util/shell-quote.ts';
import { dockerConfigFlags, dockerEnv, envScript } from './docker-env.ts';

const n1 = { name: 'node1', address: '10.0.0.11', enginePort: 2376 };

describe('matrix node env / config', () => {
  it('names the engine over TLS and the certificate directory', () => {
    expect(dockerEnv(n1, '/h/pki/clients/docker')).toEqual([
      ['DOCKER_TLS_VERIFY', '1'],
      ['DOCKER_HOST', 'tcp://10.0.0.11:2376'],
      ['DOCKER_CERT_PATH', '/h/pki/clients/docker'],
      ['MATRIX_NODE', 'node1'],
    ]);
    expect(dockerEnv({ ...n1, address: 'fd00::11' }, '/c')[1]).toEqual(['DOCKER_HOST', 'tcp://[fd00::11]:2376']);
  });

  it('prints sh exports a shell evaluates to exactly those values, even for an odd path', () => {
    const dir = "/tmp/it's a $HOME `dir`";
    const script = envScript(n1, dir, { shell: 'sh', unset: false, self: 'matrix node env node1' });
    expect(script).toContain('# eval "$(matrix node env node1)"');
    const out = execFileSync('sh', ['-c', `${script}\nprintf '%s|%s|%s|%s' "$DOCKER_TLS_VERIFY" "$DOCKER_HOST" "$DOCKER_CERT_PATH" "$MATRIX_NODE"`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(out).toBe(`1|tcp://10.0.0.11:2376|${dir}|node1`);
  });

  it('--unset removes them again', () => {
    const set = envScript(n1, '/c', { shell: 'sh', unset: false, self: 'x' });
    const unset = envScript(n1, '/c', { shell: 'sh', unset: true, self: 'x' });
    expect(unset.split('\n')[0]).toBe('unset DOCKER_TLS_VERIFY DOCKER_HOST DOCKER_CERT_PATH MATRIX_NODE');
    const out = execFileSync('sh', ['-c', `${set}\n${unset}\nprintf '[%s%s%s]' "$DOCKER_TLS_VERIFY" "$DOCKER_HOST" "$DOCKER_CERT_PATH"`], { encoding: 'utf8' });
    expect(out).toBe('[]');
  });

  it('an engine on a unix socket: DOCKER_HOST names it, and TLS settings left from another node are unset', () => {
    const local = { name: 'local', address: '127.0.0.1', enginePort: 2376, socket: '/var/run/docker.sock' };
    expect(dockerEnv(local, '')).toEqual([
      ['DOCKER_TLS_VERIFY', null],
      ['DOCKER_HOST', 'unix:///var/run/docker.sock'],
      ['DOCKER_CERT_PATH', null],
      ['MATRIX_NODE', 'local'],
    ]);
    const tls = envScript(n1, '/c', { shell: 'sh', unset: false, self: 'x' });
    const sock = envScript(local, '', { shell: 'sh', unset: false, self: 'x' });
    const out = execFileSync('sh', ['-c', `${tls}\n${sock}\nprintf '[%s|%s|%s]' "$DOCKER_TLS_VERIFY" "$DOCKER_HOST" "\${DOCKER_CERT_PATH-unset}"`], {
      encoding: 'utf8',
    });
    expect(out).toBe('[|unix:///var/run/docker.sock|unset]');
    expect(envScript(local, '', { shell: 'fish', unset: false, self: 'x' })).toContain('set -e DOCKER_TLS_VERIFY;');
    expect(dockerConfigFlags(local, '')).toEqual(['-H=unix:///var/run/docker.sock']);
  });

  it('prints fish syntax on request', () => {
    expect(envScript(n1, '/c', { shell: 'fish', unset: false, self: 'matrix node env --shell fish node1' }).split('\n')).toEqual([
      "set -gx DOCKER_TLS_VERIFY '1';",
      "set -gx DOCKER_HOST 'tcp://10.0.0.11:2376';",
      "set -gx DOCKER_CERT_PATH '/c';",
      "set -gx MATRIX_NODE 'node1';",
      '# Run this command to configure your shell:',
      '# eval (matrix node env --shell fish node1)',
      '',
    ]);
    expect(envScript(n1, '/c', { shell: 'fish', unset: true, self: 'x' }).split('\n')[0]).toBe('set -e DOCKER_TLS_VERIFY;');
  });

  it('quotes single quotes so that nothing is expanded', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it('config: the TLS flags and host for one docker command', () => {
    expect(dockerConfigFlags(n1, '/c')).toEqual([
      '--tlsverify',
      '--tlscacert=/c/ca.pem',
      '--tlscert=/c/cert.pem',
      '--tlskey=/c/key.pem',
      '-H=tcp://10.0.0.11:2376',
    ]);
  });
});
