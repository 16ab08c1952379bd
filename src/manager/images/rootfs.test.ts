import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Header, extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../registry/test-registry.ts';
import { BUSYBOX_LINKS, buildRootfsTar } from './rootfs.ts';
import { startScript } from './start-script.ts';

interface Extracted {
  header: Header;
  body: Buffer;
}

async function untar(buf: Buffer): Promise<Extracted[]> {
  const ex = extract();
  const out: Extracted[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({ header: entry.header, body: Buffer.concat(chunks) });
    }
  })();
  ex.end(buf);
  await done;
  return out;
}

/** What `docker` would lay down, minus ownership: enough to run start.sh for real. */
function materialize(entries: Extracted[], root: string): void {
  for (const { header, body } of entries) {
    const p = join(root, header.name);
    if (header.type === 'directory') mkdirSync(p, { recursive: true });
    else if (header.type === 'symlink') symlinkSync(header.linkname, p);
    else {
      writeFileSync(p, body);
      chmodSync(p, header.mode);
    }
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

let tarball: Buffer;
let entries: Extracted[];
beforeAll(async () => {
  tarball = await buildRootfsTar('simplewebapp1');
  entries = await untar(tarball);
});

describe('sample rootfs tar', () => {
  it('is deterministic: two builds give the same bytes', async () => {
    expect((await buildRootfsTar('simplewebapp1')).equals(tarball)).toBe(true);
    expect((await buildRootfsTar('simplewebapp2')).equals(tarball)).toBe(false);
  });

  it('has sorted entries owned by root with mtime 0', () => {
    const names = entries.map((e) => e.header.name);
    expect(names).toEqual([...names].sort());
    expect(names.slice(0, 2)).toEqual(['bin/', 'bin/[']);
    expect(names.slice(-3)).toEqual(['start.sh', 'tmp/', 'www/']);
    for (const { header } of entries) {
      expect(header.uid).toBe(0);
      expect(header.gid).toBe(0);
      expect(header.mtime.getTime()).toBe(0);
    }
  });

  it('carries the host busybox, executable, and links to it', () => {
    const byName = new Map(entries.map((e) => [e.header.name, e]));
    const bb = byName.get('bin/busybox')!;
    expect(bb.header.mode).toBe(0o755);
    expect(bb.body.equals(readFileSync('/bin/busybox'))).toBe(true);
    for (const l of ['sh', 'httpd', 'hostname', 'cat', 'mkdir', 'echo', 'date', 'cp']) {
      expect(byName.get(`bin/${l}`)?.header).toMatchObject({ type: 'symlink', linkname: 'busybox' });
    }
    expect(byName.get('start.sh')?.header).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byName.get('start.sh')?.body.toString()).toBe(startScript('simplewebapp1'));
    expect(byName.get('tmp/')?.header).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(byName.get('www/')?.header).toMatchObject({ type: 'directory', mode: 0o755 });
  });

  it('links only applets the host busybox really has', () => {
    const list = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n');
    for (const l of BUSYBOX_LINKS) expect(list, l).toContain(l);
  });
});

describe('start.sh run from the extracted rootfs', () => {
  let root: string;
  let child: ChildProcess | undefined;
  let port: number;
  let log = '';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mx-rootfs-'));
    materialize(entries, root);
    port = await freePort();
    // PATH is the image's own /bin, so this also proves the symlinks resolve to busybox.
    child = spawn(join(root, 'bin/sh'), [join(root, 'start.sh')], {
      env: { PATH: join(root, 'bin'), WWW: join(root, 'www'), PORT: `127.0.0.1:${port}`, MATRIX_NODE: 'node7', MATRIX_REPLICA: 'simplewebapp1-2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    for (let i = 0; i < 50; i++) {
      if (
        await get(port, '/healthz').then(
          () => true,
          () => false,
        )
      )
        return;
      await sleep(100);
    }
    throw new Error(`httpd never answered; output:\n${log}`);
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the page with one marker per line', () => {
    const page = readFileSync(join(root, 'www/index.html'), 'utf8').split('\n');
    expect(page).toContain('app=simplewebapp1');
    expect(page).toContain('node=node7');
    expect(page).toContain('replica=simplewebapp1-2');
    expect(page).toContain(`container=${hostname()}`);
    expect(readlinkSync(join(root, 'bin/httpd'))).toBe('busybox');
  });

  it('serves it at / and under the ingress prefix, plus /healthz', async () => {
    const top = await get(port, '/');
    expect(top.status).toBe(200);
    expect(top.body).toContain('app=simplewebapp1\n');
    const prefixed = await get(port, '/simplewebapp1/');
    expect(prefixed).toEqual(top);
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
  });

  it('says unknown when the manager set no node or replica', () => {
    const www = join(root, 'www-unknown');
    execFileSync('/bin/busybox', ['sh', '-c', `sed 's/^exec httpd.*/exit 0/' ${join(root, 'start.sh')} | sh`], {
      env: { PATH: join(root, 'bin'), WWW: www },
    });
    const page = readFileSync(join(www, 'simplewebapp1/index.html'), 'utf8');
    expect(page).toContain('node=unknown\n');
    expect(page).toContain('replica=unknown\n');
  });
});
