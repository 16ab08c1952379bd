import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asRoot,
  certFiles,
  checkHost,
  dockerdFlags,
  engineFiles,
  engineLogScript,
  fatalLine,
  LOG_MARK_SCRIPT,
  parseLogMark,
  installDockerScript,
  PACKAGE_MANAGERS,
  parseProbe,
  PROBE_SCRIPT,
  REMOTE,
  startEngineScript,
  stopEngineScript,
  undoneEngine,
  undoScript,
  writeFileScript,
  type HostFacts,
} from './ssh-provision.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-provision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const debian: HostFacts = { os: 'Linux', uid: 0, sudo: false, dockerd: '/usr/sbin/dockerd', systemd: true, packageManager: 'apt-get', containerdSocket: true };
const bare: HostFacts = { ...debian, systemd: false, containerdSocket: false };
const setup = { name: 'web1', enginePort: 2376, registry: '10.0.0.1:5000' };
const pems = { ca: 'CA', cert: 'CERT', key: 'KEY', registryCert: 'RCERT', registryKey: 'RKEY' };

/** `sh -n`: the script parses. */
const parses = (script: string) => spawnSync('sh', ['-n', '-c', script]).status === 0;

describe('the probe', () => {
  it('run by a real sh here, reports this host', () => {
    const f = parseProbe(execFileSync('sh', ['-c', PROBE_SCRIPT], { encoding: 'utf8' }));
    expect(f.os).toBe('Linux');
    expect(f.uid).toBe(process.getuid!());
    // this machine has Docker (the lab needs it) and Debian's package manager
    expect(f.dockerd).toMatch(/\/dockerd$/);
    expect(f.packageManager).toBe('apt-get');
  });

  it('parses what it printed, and reads missing facts as absent', () => {
    expect(parseProbe('os=Linux\nuid=1000\nsudo=yes\ndockerd=\nsystemd=yes\npm=dnf\n')).toEqual({
      os: 'Linux',
      uid: 1000,
      sudo: true,
      dockerd: null,
      systemd: true,
      packageManager: 'dnf',
      containerdSocket: false,
    });
    expect(parseProbe('pm=pacman\n').packageManager).toBeNull();
    expect(parseProbe('').os).toBe('unknown');
  });
});

describe('checkHost', () => {
  it('refuses what the driver cannot set up, naming the option to change', () => {
    expect(() => checkHost({ ...debian, os: 'Darwin' }, false)).toThrow(expect.objectContaining({ code: 'E_MACHINE', path: 'ssh-host' }));
    expect(() => checkHost({ ...debian, uid: 1000, sudo: false }, false)).toThrow(expect.objectContaining({ code: 'E_MACHINE', path: 'ssh-user' }));
    expect(() => checkHost({ ...debian, dockerd: null }, false)).toThrow(/--install-docker to install it with apt-get/);
    expect(() => checkHost({ ...debian, dockerd: null, packageManager: null }, true)).toThrow(/install Docker by hand/);
  });

  it('lets through root, a sudoer, and a host without Docker when installing is allowed', () => {
    expect(() => checkHost(debian, false)).not.toThrow();
    expect(() => checkHost({ ...debian, uid: 1000, sudo: true }, false)).not.toThrow();
    expect(() => checkHost({ ...debian, dockerd: null }, true)).not.toThrow();
  });
});

describe('commands as data', () => {
  it('runs as root directly, or through sudo -n for another user', () => {
    expect(asRoot(debian, "echo 'x'")).toBe(`sh -c 'echo '\\''x'\\'''`);
    expect(asRoot({ ...debian, uid: 1000, sudo: true }, 'id -u')).toBe(`sudo -n sh -c 'id -u'`);
  });

  it("installs Docker with each package manager's own command", () => {
    expect(installDockerScript('apt-get')).toContain('apt-get install -y -q docker.io');
    expect(installDockerScript('apk')).toBe('apk add docker');
    for (const pm of PACKAGE_MANAGERS) expect(parses(installDockerScript(pm))).toBe(true);
  });

  it('installs the keys 0600 and the rest readable, the registry trust under certs.d/<registry>', () => {
    const files = certFiles(setup, pems);
    expect(files.filter((f) => f.mode === 0o600).map((f) => f.path)).toEqual([REMOTE.key, '/etc/docker/certs.d/10.0.0.1:5000/client.key']);
    expect(files.find((f) => f.path.endsWith('/ca.crt'))?.content).toBe('CA');
    expect(files.find((f) => f.path === REMOTE.cert)?.content).toBe('CERT');
  });

  it('runs dockerd with client verification on the engine port, under systemd through its socket', () => {
    const flags = dockerdFlags(debian, setup);
    expect(flags).toEqual(expect.arrayContaining(['--tlsverify', 'tcp://0.0.0.0:2376', 'fd://', `--tlscacert=${REMOTE.ca}`, '--label=matrix.node=web1']));
    expect(flags).toContain('--containerd=/run/containerd/containerd.sock');
    const plain = dockerdFlags(bare, { ...setup, enginePort: 12376 });
    expect(plain).toContain('unix:///var/run/docker.sock');
    expect(plain).toContain('tcp://0.0.0.0:12376');
    expect(plain.some((f) => f.startsWith('--containerd'))).toBe(false);
  });

  it('under systemd: a drop-in that replaces ExecStart; else a supervisor that reads the flags anew', () => {
    const [dropIn] = engineFiles(debian, setup);
    expect(dropIn!.path).toBe(REMOTE.dropIn);
    expect(dropIn!.content).toMatch(/^\[Service\]\nExecStart=\nExecStart=\/usr\/sbin\/dockerd -H fd:\/\/ -H tcp:\/\/0\.0\.0\.0:2376 --tlsverify /m);
    const files = engineFiles(bare, setup);
    expect(files.map((f) => f.path)).toEqual([REMOTE.args, REMOTE.supervisor]);
    expect(files[0]!.content.split('\n')).toContain('--tlsverify');
    expect(files[1]!.content).toContain(`/usr/sbin/dockerd $(cat ${REMOTE.args})`);
    expect(parses(files[1]!.content)).toBe(true);
  });

  it('start, stop, log and undo scripts parse, for both inits', () => {
    for (const f of [debian, bare]) {
      for (const script of [startEngineScript(f), stopEngineScript(f), engineLogScript(f), undoScript(f, setup)]) expect(parses(script)).toBe(true);
    }
    expect(startEngineScript(debian)).toContain('systemctl restart docker');
    expect(startEngineScript(bare)).toContain(`setsid nohup sh ${REMOTE.supervisor}`);
    expect(engineLogScript(debian)).toBe('journalctl -u docker -n 20 --no-pager');
    expect(undoneEngine(debian)).toMatch(/restarted/);
    expect(undoneEngine(bare)).toMatch(/stopped/);
  });

  it("undo removes the driver's files and this registry's trust, never certs.d itself", () => {
    expect(undoScript(debian, setup)).toContain(`rm -rf ${REMOTE.dir} /etc/docker/certs.d/10.0.0.1:5000;`);
    expect(undoScript(debian, setup)).toContain(`rm -f ${REMOTE.dropIn}`);
    for (const registry of ['', '../..', 'a b']) {
      expect(undoScript(bare, { ...setup, registry })).not.toContain('certs.d');
    }
  });
});

describe("dockerd's log since a restart", () => {
  it('the mark, run by a real sh, is the time and the log size', () => {
    const mark = parseLogMark(execFileSync('sh', ['-c', LOG_MARK_SCRIPT], { encoding: 'utf8' }));
    expect(Math.abs(mark.epoch - Date.now() / 1000)).toBeLessThan(60);
    expect(mark.bytes).toBeGreaterThanOrEqual(0);
    expect(parseLogMark('garbage')).toEqual({ epoch: 0, bytes: 0 });
  });

  it('is read from the mark on: journald since the time, the file from the byte after', () => {
    expect(engineLogScript(debian, { epoch: 1700000000, bytes: 10 })).toBe('journalctl -u docker --since @1700000000 -n 20 --no-pager');
    expect(engineLogScript(bare, { epoch: 1700000000, bytes: 10 })).toBe(`tail -c +11 ${REMOTE.log} | tail -n 20`);
  });

  it('finds the line where dockerd gave up, and nothing in a healthy start', () => {
    const failed = 'level=info msg="Starting up"\nfailed to load listeners: listen tcp 0.0.0.0:22: bind: address already in use\n';
    expect(fatalLine(failed)).toMatch(/address already in use/);
    expect(fatalLine('time="x" level=fatal msg="no"')).toContain('fatal');
    expect(fatalLine('level=info msg="Starting up"\nlevel=info msg="API listen on [::]:2376"')).toBeNull();
  });
});

describe('writeFileScript, run by a real sh', () => {
  it('writes the content from stdin with the mode, making the directory, atomically', () => {
    const path = join(dir, "odd dir's", 'key.pem');
    const r = spawnSync('sh', ['-c', writeFileScript({ path, content: '', mode: 0o600 })], { input: 'SECRET\n' });
    expect(r.status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('SECRET\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = spawnSync('sh', ['-c', writeFileScript({ path, content: '', mode: 0o644 })], { input: 'PUBLIC\n' });
    expect(again.status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('PUBLIC\n');
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });
});
