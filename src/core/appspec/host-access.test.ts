import { describe, expect, it } from 'vitest';
import { Collector } from './fields.ts';
import {
  hostAccess,
  hostNetworkPublish,
  HOST_LIMITS,
  isHostPath,
  parseBindSource,
  parseBindTarget,
  parseCapability,
  parseDevice,
  parseHostMode,
  parsePrivileged,
  readBinds,
  readCapAdd,
  readDevices,
  readShortBind,
  type Bind,
} from './host-access.ts';

/** Runs a list reader on a fresh collector: what it returned and every problem as [path, message]. */
function collect<T>(read: (c: Collector) => T): { value: T; problems: [string | undefined, string][] } {
  const c = new Collector('t.yaml');
  const value = read(c);
  expect(c.warnings).toEqual([]);
  return { value, problems: c.problems.map((p) => [p.path, p.message]) };
}

const CAP_RULE = '^[A-Z][A-Z0-9_]{1,31}$';
const capMessage = (v: string): string =>
  `bad capability ${JSON.stringify(v)}: must be a kernel capability like NET_ADMIN or CAP_NET_ADMIN (without CAP_, matching ${CAP_RULE})`;
const PERMS = (v: string): string => `permissions ${JSON.stringify(v)} must be a non-empty subset of rwm (r read, w write, m mknod), each letter once`;
const DEVICE_USAGE = 'must be "HOST[:CONTAINER[:PERMS]]" like "/dev/fuse" or "/dev/ttyUSB0:/dev/ttyS0:rw"';
const RELATIVE = (v: string): string =>
  `${JSON.stringify(v)} is relative: a node has no notion of the deploying machine's directory (or home), so give an absolute path on the node, like /srv/data`;
const BIND_USAGE = 'must be "/node/path:/container/path" with an optional ":ro" or ":rw"';

describe('privileged', () => {
  it('true and false', () => {
    expect(parsePrivileged(true)).toEqual({ ok: true, value: true });
    expect(parsePrivileged(false)).toEqual({ ok: true, value: false });
  });

  it.each([
    ['yes', 'a string'],
    ['true', 'a string'],
    [1, 'a number'],
    [null, 'nothing'],
    [[true], 'a list'],
  ])('%j is refused', (v, type) => {
    expect(parsePrivileged(v)).toEqual({ ok: false, message: `must be true or false, got ${type}` });
  });
});

describe('capabilities', () => {
  it.each([
    ['NET_ADMIN', 'NET_ADMIN'],
    ['CAP_NET_ADMIN', 'NET_ADMIN'],
    ['net_admin', 'NET_ADMIN'],
    ['Cap_Sys_Time', 'SYS_TIME'],
    ['ALL', 'ALL'],
    ['CAP_ALL', 'ALL'],
    ['all', 'ALL'],
    ['A1', 'A1'],
    ['CAP_CAP_X', 'CAP_X'],
    [`A${'B'.repeat(31)}`, `A${'B'.repeat(31)}`],
    [`CAP_A${'B'.repeat(31)}`, `A${'B'.repeat(31)}`],
  ])('%j is %j', (v, want) => {
    expect(parseCapability(v)).toEqual({ ok: true, value: want });
  });

  it.each(['', 'CAP_', 'X', 'CAP_X', 'NET-ADMIN', 'NET ADMIN', ' NET_ADMIN', '1NET', '_NET', `A${'B'.repeat(32)}`, 'ß', 'SYS_ß', 'CAP:NET'])(
    '%j is refused',
    (v) => {
      expect(parseCapability(v)).toEqual({ ok: false, message: capMessage(v) });
    },
  );

  it('non-strings name their type', () => {
    expect(parseCapability(3)).toEqual({ ok: false, message: 'must be a capability name like NET_ADMIN, got a number' });
    expect(parseCapability({ add: 'X' })).toEqual({ ok: false, message: 'must be a capability name like NET_ADMIN, got a mapping' });
  });

  it('the list: order kept, repeats (also with and without CAP_) kept once, each problem at its index', () => {
    const read = (v: unknown) => collect((c) => readCapAdd(v, 'apps.a.host.cap_add', c));
    expect(read(['SYS_TIME', 'NET_ADMIN', 'cap_sys_time', 'CAP_NET_ADMIN'])).toEqual({ value: ['SYS_TIME', 'NET_ADMIN'], problems: [] });
    expect(read([])).toEqual({ value: [], problems: [] });
    expect(read(['NET_ADMIN', 'bad-one', 7, 'SYS_TIME'])).toEqual({
      value: ['NET_ADMIN', 'SYS_TIME'],
      problems: [
        ['apps.a.host.cap_add[1]', capMessage('bad-one')],
        ['apps.a.host.cap_add[2]', 'must be a capability name like NET_ADMIN, got a number'],
      ],
    });
    expect(read('NET_ADMIN')).toEqual({ value: [], problems: [['apps.a.host.cap_add', 'must be a list of capability names like NET_ADMIN']] });
    expect(read({ NET_ADMIN: true }).problems).toEqual([['apps.a.host.cap_add', 'must be a list of capability names like NET_ADMIN']]);
  });

  it(`at most ${HOST_LIMITS.perList}, counted as written (before repeats are dropped)`, () => {
    const caps = (n: number): string[] => Array.from({ length: n }, (_, i) => `CAP${i}`);
    expect(collect((c) => readCapAdd(caps(64), 'x', c)).value).toHaveLength(64);
    expect(collect((c) => readCapAdd(caps(65), 'x', c))).toEqual({ value: [], problems: [['x', 'must have at most 64 capabilities, got 65']] });
    expect(collect((c) => readCapAdd(Array(65).fill('ALL'), 'x', c)).problems).toEqual([['x', 'must have at most 64 capabilities, got 65']]);
  });
});

describe('devices', () => {
  it.each([
    ['/dev/fuse', { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
    ['/dev/sda:/dev/xvda', { host: '/dev/sda', container: '/dev/xvda', permissions: 'rwm' }],
    ['/dev/sda:/dev/xvda:r', { host: '/dev/sda', container: '/dev/xvda', permissions: 'r' }],
    ['/dev/sda:/dev/xvda:mwr', { host: '/dev/sda', container: '/dev/xvda', permissions: 'rwm' }],
    ['/dev/sda:/dev/xvda:mr', { host: '/dev/sda', container: '/dev/xvda', permissions: 'rm' }],
    // Docker's HOST:PERMS: a container path starts with "/", permissions never do
    ['/dev/ttyUSB0:rw', { host: '/dev/ttyUSB0', container: '/dev/ttyUSB0', permissions: 'rw' }],
    ['/dev/dri/renderD128', { host: '/dev/dri/renderD128', container: '/dev/dri/renderD128', permissions: 'rwm' }],
    ['/dev/net/tun:/dev/net/tun:rwm', { host: '/dev/net/tun', container: '/dev/net/tun', permissions: 'rwm' }],
    [`/dev/${'d'.repeat(250)}`, { host: `/dev/${'d'.repeat(250)}`, container: `/dev/${'d'.repeat(250)}`, permissions: 'rwm' }],
  ])('%j', (v, want) => {
    expect(parseDevice(v)).toEqual({ ok: true, value: want });
  });

  it.each([
    ['fuse', 'host path "fuse" must be a device path under /dev/, like /dev/fuse'],
    ['', 'host path "" must be a device path under /dev/, like /dev/fuse'],
    ['/dev/', 'host path "/dev/" must be a device path under /dev/, like /dev/fuse'],
    ['/dev', 'host path "/dev" must be a device path under /dev/, like /dev/fuse'],
    ['/etc/passwd', 'host path "/etc/passwd" must be a device path under /dev/, like /dev/fuse'],
    ['/dev/../etc/shadow', 'host path "/dev/../etc/shadow" must not contain ".." segments'],
    ['/dev/a/..', 'host path "/dev/a/.." must not contain ".." segments'],
    ['/dev/a\nb', 'host path "/dev/a\\nb" must not contain control characters'],
    [`/dev/${'d'.repeat(251)}`, 'host path must be at most 255 characters, got 256'],
    ['/dev/sda:/mnt/sda', 'container path "/mnt/sda" must be a device path under /dev/, like /dev/fuse'],
    ['/dev/sda:/dev/../x', 'container path "/dev/../x" must not contain ".." segments'],
    ['/dev/sda:/dev/', 'container path "/dev/" must be a device path under /dev/, like /dev/fuse'],
    [`/dev/sda:/dev/${'d'.repeat(251)}`, 'container path must be at most 255 characters, got 256'],
    ['/dev/sda:/dev/sda:', PERMS('')],
    ['/dev/sda:', PERMS('')],
    ['/dev/sda:/dev/sda:x', PERMS('x')],
    ['/dev/sda:/dev/sda:rr', PERMS('rr')],
    ['/dev/sda:/dev/sda:RWM', PERMS('RWM')],
    ['/dev/sda:rx', PERMS('rx')],
    ['/dev/sda:/dev/sda:rwm:x', `bad device "/dev/sda:/dev/sda:rwm:x": ${DEVICE_USAGE}`],
  ])('%j is refused', (v, message) => {
    expect(parseDevice(v)).toEqual({ ok: false, message });
  });

  it('non-strings (there is no long syntax)', () => {
    expect(parseDevice({ source: '/dev/fuse' })).toEqual({ ok: false, message: `${DEVICE_USAGE}, got a mapping` });
    expect(parseDevice(null)).toEqual({ ok: false, message: `${DEVICE_USAGE}, got nothing` });
  });

  it('the list: each problem at its index; a container path given twice at the later item', () => {
    const read = (v: unknown) => collect((c) => readDevices(v, 'services.web.devices', c));
    expect(read(['/dev/fuse', '/dev/sda:/dev/xvda:r']).value).toEqual([
      { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' },
      { host: '/dev/sda', container: '/dev/xvda', permissions: 'r' },
    ]);
    expect(read(['/dev/fuse', '/etc/x', '/dev/sdb:/dev/fuse', '/dev/fuse:/dev/fuse2'])).toEqual({
      value: [
        { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' },
        { host: '/dev/fuse', container: '/dev/fuse2', permissions: 'rwm' },
      ],
      problems: [
        ['services.web.devices[1]', 'host path "/etc/x" must be a device path under /dev/, like /dev/fuse'],
        ['services.web.devices[2]', 'container path "/dev/fuse" is given twice'],
      ],
    });
    expect(read('/dev/fuse').problems).toEqual([['services.web.devices', 'must be a list of devices like "/dev/fuse" or "HOST:CONTAINER:PERMS"']]);
  });

  it(`at most ${HOST_LIMITS.perList}`, () => {
    const devices = (n: number): string[] => Array.from({ length: n }, (_, i) => `/dev/d${i}`);
    expect(collect((c) => readDevices(devices(64), 'x', c)).value).toHaveLength(64);
    expect(collect((c) => readDevices(devices(65), 'x', c))).toEqual({ value: [], problems: [['x', 'must have at most 64 devices, got 65']] });
  });
});

describe('host namespaces and the host network', () => {
  it('only host', () => {
    expect(parseHostMode('host', 'pid')).toEqual({ ok: true, value: 'host' });
    expect(parseHostMode('private', 'ipc')).toEqual({
      ok: false,
      message: `must be host (to share the node's IPC namespace), got "private": leave the key out for the container's own`,
    });
    expect(parseHostMode('HOST', 'pid')).toEqual({
      ok: false,
      message: `must be host (to share the node's PID namespace), got "HOST": leave the key out for the container's own`,
    });
    expect(parseHostMode(true, 'network')).toEqual({
      ok: false,
      message: `must be host (to share the node's network), got a boolean: leave the key out for the container's own`,
    });
  });

  it('publish is the port; another publish is an error', () => {
    expect(hostNetworkPublish(8080, undefined)).toEqual({ ok: true, value: 8080 });
    expect(hostNetworkPublish(8080, 8080)).toEqual({ ok: true, value: 8080 });
    expect(hostNetworkPublish(8080, 5050)).toEqual({
      ok: false,
      message: "with the host network the app listens on the node's port 8080 itself: publish must equal port (or be left out)",
    });
  });
});

describe('binds', () => {
  it.each([
    ['/srv/data', true],
    ['/', true],
    ['./data', true],
    ['../data', true],
    ['.', true],
    ['..', true],
    ['~', true],
    ['~/data', true],
    ['data', false],
    ['my.vol', false],
    ['.data', false],
    ['..data', false],
    ['', false],
    ['C:\\data', false],
  ])('%j is a host path: %s', (v, want) => {
    expect(isHostPath(v)).toBe(want);
  });

  it.each(['/srv/data', '/', '/var/log/', '/a b/c', `/${'a'.repeat(4095)}`, '/srv/.hidden', '/srv/./x'])('source %j is fine', (v) => {
    expect(parseBindSource(v)).toEqual({ ok: true, value: v });
  });

  it.each([
    ['./data', RELATIVE('./data')],
    ['../data', RELATIVE('../data')],
    ['.', RELATIVE('.')],
    ['~', RELATIVE('~')],
    ['~/data', RELATIVE('~/data')],
    ['data', '"data" must be an absolute path on the node, like /srv/data (named volumes are not supported)'],
    ['', '"" must be an absolute path on the node, like /srv/data (named volumes are not supported)'],
    ['/srv/../etc', '"/srv/../etc" must not contain ".." segments'],
    ['/..', '"/.." must not contain ".." segments'],
    ['/srv/\u0000x', '"/srv/\\u0000x" must not contain control characters'],
    [`/${'a'.repeat(4096)}`, 'must be at most 4096 characters, got 4097'],
  ])('source %j is refused', (v, message) => {
    expect(parseBindSource(v)).toEqual({ ok: false, message });
  });

  it.each(['/data', '/host/log', '/run/x/', `/${'a'.repeat(4095)}`])('target %j is fine', (v) => {
    expect(parseBindTarget(v)).toEqual({ ok: true, value: v });
  });

  it.each([
    ['data', '"data" must be an absolute path in the container, like /data'],
    ['./data', '"./data" must be an absolute path in the container, like /data'],
    ['', '"" must be an absolute path in the container, like /data'],
    ['/', 'must not be "/": it would hide the container\'s whole filesystem'],
    ['//', 'must not be "/": it would hide the container\'s whole filesystem'],
    ['/data/../etc', '"/data/../etc" must not contain ".." segments'],
    ['/a\tb', '"/a\\tb" must not contain control characters'],
    [`/${'a'.repeat(4096)}`, 'must be at most 4096 characters, got 4097'],
  ])('target %j is refused', (v, message) => {
    expect(parseBindTarget(v)).toEqual({ ok: false, message });
  });

  it('source and target of other types', () => {
    expect(parseBindSource(5)).toEqual({ ok: false, message: 'must be an absolute path on the node, got a number' });
    expect(parseBindTarget(null)).toEqual({ ok: false, message: 'must be an absolute path in the container, got nothing' });
  });

  it.each([
    ['/srv/data:/data', { source: '/srv/data', target: '/data', readOnly: false }],
    ['/srv/data:/data:rw', { source: '/srv/data', target: '/data', readOnly: false }],
    ['/var/log:/host/log:ro', { source: '/var/log', target: '/host/log', readOnly: true }],
    ['/:/host:ro', { source: '/', target: '/host', readOnly: true }],
  ])('short syntax %j', (v, want) => {
    expect(collect((c) => readShortBind(v, 'p', c))).toEqual({ value: want, problems: [] });
  });

  it.each([
    ['/srv/data', `bad volume "/srv/data": ${BIND_USAGE}`],
    ['', `bad volume "": ${BIND_USAGE}`],
    ['/a:/b:ro:x', `bad volume "/a:/b:ro:x": ${BIND_USAGE}`],
    ['./data:/data', `source ${RELATIVE('./data')}`],
    ['~/data:/data:ro', `source ${RELATIVE('~/data')}`],
    ['data:/data', 'source "data" must be an absolute path on the node, like /srv/data (named volumes are not supported)'],
    ['/srv/../etc:/data', 'source "/srv/../etc" must not contain ".." segments'],
    ['/srv:data', 'target "data" must be an absolute path in the container, like /data'],
    ['/srv:', 'target "" must be an absolute path in the container, like /data'],
    ['/srv:/', 'target must not be "/": it would hide the container\'s whole filesystem'],
    ['/srv:/a/../b', 'target "/a/../b" must not contain ".." segments'],
    ['/srv:/data:z', 'mode "z" must be ro (read-only) or rw (read-write, the default)'],
    ['/srv:/data:RO', 'mode "RO" must be ro (read-only) or rw (read-write, the default)'],
    ['/srv:/data:ro,z', 'mode "ro,z" must be ro (read-only) or rw (read-write, the default)'],
    ['/srv:/data:', 'mode "" must be ro (read-only) or rw (read-write, the default)'],
  ])('short syntax %j is refused', (v, message) => {
    expect(collect((c) => readShortBind(v, 'p', c))).toEqual({ value: undefined, problems: [['p', message]] });
  });

  it('short syntax: every problem of the item, at its path', () => {
    expect(collect((c) => readShortBind('./a:b:x', 'p', c)).problems).toEqual([
      ['p', `source ${RELATIVE('./a')}`],
      ['p', 'target "b" must be an absolute path in the container, like /data'],
      ['p', 'mode "x" must be ro (read-only) or rw (read-write, the default)'],
    ]);
    expect(collect((c) => readShortBind(['/a', '/b'], 'p', c)).problems).toEqual([['p', `${BIND_USAGE}, got a list`]]);
  });

  const shortList = (v: unknown) => collect((c) => readBinds(v, 'apps.a.host.volumes', 'node paths', (item, p) => readShortBind(item, p, c), c));

  it('the list: in order, each problem at its index; a target given twice at the later item', () => {
    expect(shortList(['/var/log:/log:ro', '/srv:/srv'])).toEqual({
      value: [
        { source: '/var/log', target: '/log', readOnly: true },
        { source: '/srv', target: '/srv', readOnly: false },
      ] satisfies Bind[],
      problems: [],
    });
    expect(shortList(['/a:/data', './b:/x', '/c:/data:ro', '/a:/other'])).toEqual({
      value: [
        { source: '/a', target: '/data', readOnly: false },
        { source: '/a', target: '/other', readOnly: false },
      ],
      problems: [
        ['apps.a.host.volumes[1]', `source ${RELATIVE('./b')}`],
        ['apps.a.host.volumes[2]', 'target "/data" is given twice'],
      ],
    });
    expect(shortList('/a:/b')).toEqual({ value: [], problems: [['apps.a.host.volumes', 'must be a list of node paths']] });
  });

  it(`at most ${HOST_LIMITS.perList}`, () => {
    const binds = (n: number): string[] => Array.from({ length: n }, (_, i) => `/srv/${i}:/data/${i}`);
    expect(shortList(binds(64)).value).toHaveLength(64);
    expect(shortList(binds(65))).toEqual({ value: [], problems: [['apps.a.host.volumes', 'must have at most 64 volumes, got 65']] });
  });
});

describe('hostAccess: the fields that ask for something', () => {
  it('nothing asked: no host at all', () => {
    expect(hostAccess({})).toBeUndefined();
    expect(hostAccess({ privileged: false, capAdd: [], devices: [], binds: [], pid: undefined })).toBeUndefined();
  });

  it('each field alone, and all of them in the model order', () => {
    const device = { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' };
    const bind = { source: '/var/log', target: '/log', readOnly: true };
    expect(hostAccess({ privileged: true })).toEqual({ privileged: true });
    expect(hostAccess({ capAdd: ['NET_ADMIN'], binds: [] })).toEqual({ capAdd: ['NET_ADMIN'] });
    expect(hostAccess({ network: 'host', privileged: false })).toEqual({ network: 'host' });
    const all = hostAccess({
      binds: [bind],
      network: 'host',
      ipc: 'host',
      pid: 'host',
      devices: [device],
      capAdd: ['SYS_TIME'],
      privileged: true,
    });
    expect(all).toEqual({ privileged: true, capAdd: ['SYS_TIME'], devices: [device], pid: 'host', ipc: 'host', network: 'host', binds: [bind] });
    expect(Object.keys(all ?? {})).toEqual(['privileged', 'capAdd', 'devices', 'pid', 'ipc', 'network', 'binds']);
  });
});
