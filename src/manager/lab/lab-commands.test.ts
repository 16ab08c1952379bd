import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import * as cmd from './lab-commands.ts';
import {
  DEFAULT_LAB,
  labHost,
  labNode,
  labNodes,
  managerAddress,
  nextLabHost,
  nextLabNode,
  registryAddress,
  validateLabConfig,
} from '../../shared/lab-config.ts';

const n1 = labNode(DEFAULT_LAB, 1);

describe('lab config', () => {
  it('derives names and addresses from the config', () => {
    expect(n1).toEqual({ name: 'node1', netns: 'mx-node1', hostVeth: 'mx-node1-h', address: '10.210.0.11' });
    expect(managerAddress(DEFAULT_LAB)).toBe('10.210.0.1');
    expect(registryAddress(DEFAULT_LAB)).toBe('10.210.0.1:5000');
    expect(labNodes(DEFAULT_LAB, 3).map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
  });

  it('keeps interface names within the 15 characters Linux allows', () => {
    const c = { ...DEFAULT_LAB, prefix: 'abcdef' };
    expect(labNode(c, 200).hostVeth.length).toBeLessThanOrEqual(15);
  });

  it('rejects bad configs and node counts with E_LAB', () => {
    expect(() => validateLabConfig({ ...DEFAULT_LAB, subnet: '10.0' })).toThrow(MatrixError);
    expect(() => validateLabConfig({ ...DEFAULT_LAB, prefix: 'Bad!' })).toThrow(/prefix/);
    expect(() => validateLabConfig({ ...DEFAULT_LAB, enginePort: 70000 })).toThrow(/enginePort/);
    expect(() => labNodes(DEFAULT_LAB, 0)).toThrow(/--nodes 0/);
    expect(() => labNodes(DEFAULT_LAB, 201)).toThrow(/1\.\.200/);
  });
});

describe('adding lab nodes and hosts', () => {
  const nodes = labNodes(DEFAULT_LAB, 3);

  it('the next node is the first free nodeK, or the one named', () => {
    expect(nextLabNode(DEFAULT_LAB, nodes).name).toBe('node4');
    expect(nextLabNode(DEFAULT_LAB, [nodes[0]!, nodes[2]!]).name).toBe('node2');
    expect(nextLabNode(DEFAULT_LAB, nodes, 'node7')).toEqual(labNode(DEFAULT_LAB, 7));
  });

  it('a taken or odd name is a coded error on `name`', () => {
    expect(() => nextLabNode(DEFAULT_LAB, nodes, 'node2')).toThrow(expect.objectContaining({ code: 'E_NODE_EXISTS', path: 'name' }));
    for (const bad of ['web1', 'node0', 'node01', 'node201', 'node1x', ''])
      expect(() => nextLabNode(DEFAULT_LAB, nodes, bad)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'name' }));
  });

  it('hosts take addresses above every node, with names that fit an interface', () => {
    expect(labHost(DEFAULT_LAB, 1)).toEqual({ name: 'host1', netns: 'mx-host1', hostVeth: 'mx-host1-h', address: '10.210.0.211' });
    expect(labHost({ ...DEFAULT_LAB, prefix: 'abcdef' }, 40).hostVeth.length).toBeLessThanOrEqual(15);
    expect(labHost(DEFAULT_LAB, 40).address).toBe('10.210.0.250');
    expect(nextLabHost(DEFAULT_LAB, [labHost(DEFAULT_LAB, 1)]).name).toBe('host2');
    expect(() => labHost(DEFAULT_LAB, 41)).toThrow(/1\.\.40/);
  });
});

describe('lab commands', () => {
  it('builds the bridge with the manager address', () => {
    expect(cmd.bridgeUp(DEFAULT_LAB)).toEqual([
      ['ip', 'link', 'add', 'mx0', 'type', 'bridge'],
      ['ip', 'addr', 'add', '10.210.0.1/24', 'dev', 'mx0'],
      ['ip', 'link', 'set', 'mx0', 'up'],
    ]);
  });

  it('cables a node: netns, veth on the bridge, address, default route via the manager', () => {
    const c = cmd.nodeNetworkUp(DEFAULT_LAB, n1);
    expect(c[0]).toEqual(['ip', 'netns', 'add', 'mx-node1']);
    expect(c).toContainEqual(['ip', 'link', 'add', 'mx-node1-h', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'mx-node1']);
    expect(c).toContainEqual(['ip', 'link', 'set', 'mx-node1-h', 'master', 'mx0', 'up']);
    expect(c).toContainEqual(['ip', '-n', 'mx-node1', 'addr', 'add', '10.210.0.11/24', 'dev', 'eth0']);
    expect(c.at(-1)).toEqual(['ip', '-n', 'mx-node1', 'route', 'add', 'default', 'via', '10.210.0.1']);
  });

  it('powers links down on both ends and back up with the route restored', () => {
    expect(cmd.nodeLinksDown(n1)).toEqual([
      ['ip', 'link', 'set', 'mx-node1-h', 'down'],
      ['ip', '-n', 'mx-node1', 'link', 'set', 'eth0', 'down'],
    ]);
    expect(cmd.nodeLinksUp(DEFAULT_LAB, n1).at(-1)).toEqual(['ip', '-n', 'mx-node1', 'route', 'replace', 'default', 'via', '10.210.0.1']);
  });

  it('starts dockerd with nsenter --net, its own roots and TLS verification on the node address', () => {
    const argv = cmd.dockerdCommand(DEFAULT_LAB, n1, {
      dataRoot: '/h/lab/node1/data',
      execRoot: '/h/lab/node1/exec',
      pidfile: '/h/lab/node1/dockerd.pid',
      socket: '/h/lab/node1/docker.sock',
      configFile: '/h/lab/node1/daemon.json',
      ca: '/h/pki/ca.pem',
      cert: '/h/c.pem',
      key: '/h/k.pem',
    });
    expect(argv.slice(0, 4)).toEqual(['nsenter', '--net=/var/run/netns/mx-node1', '--', 'dockerd']);
    const flag = (f: string) => argv[argv.indexOf(f) + 1];
    expect(argv).toContain('--tlsverify');
    expect(flag('--tlscacert')).toBe('/h/pki/ca.pem');
    expect(flag('--data-root')).toBe('/h/lab/node1/data');
    expect(flag('--config-file')).toBe('/h/lab/node1/daemon.json');
    expect(flag('--exec-root')).toBe('/h/lab/node1/exec');
    expect(argv).toContain('tcp://10.210.0.11:2376');
    expect(argv).toContain('unix:///h/lab/node1/docker.sock');
  });
});

describe('the docker CLI against a lab engine', () => {
  it('speaks mutual TLS to host:port with the given files, then the arguments as given', () => {
    expect(cmd.dockerCliCommand('10.212.0.11:2376', { ca: '/p/ca.pem', cert: '/p/c.pem', key: '/p/k.pem' }, ['ps', '-a'])).toEqual([
      'docker',
      '-H',
      'tcp://10.212.0.11:2376',
      '--tlsverify',
      '--tlscacert',
      '/p/ca.pem',
      '--tlscert',
      '/p/c.pem',
      '--tlskey',
      '/p/k.pem',
      'ps',
      '-a',
    ]);
  });
});

describe('engineLinks', () => {
  it("finds what an engine left in the node's namespace, never the node's own lo and eth0", () => {
    const out = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT',
      '2: eth0@if31: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
      '3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN',
      '5: vethb3685aa@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP',
      '',
    ].join('\n');
    expect(cmd.engineLinks(out)).toEqual(['docker0', 'vethb3685aa']);
    expect(cmd.engineLinks('')).toEqual([]);
  });
});

describe('bare hosts (ssh driver targets)', () => {
  const h = labHost(DEFAULT_LAB, 1);
  const files: cmd.HostFiles = {
    etc: '/lab/host1/etc',
    home: '/lab/host1/home',
    etcDocker: '/lab/host1/etc-docker',
    varLibDocker: '/lab/host1/var-lib-docker',
    varLog: '/lab/host1/var-log',
    sshdConfig: '/lab/host1/sshd_config',
    hostKey: '/lab/host1/ssh_host_ed25519_key',
    authorizedKeys: '/lab/host1/authorized_keys',
  };

  it('sshd takes keys only, on the host address, with its own host key', () => {
    const c = cmd.sshdConfig(h, files);
    expect(c).toContain('ListenAddress 10.210.0.211');
    expect(c).toContain('PasswordAuthentication no');
    expect(c).toContain('PermitRootLogin prohibit-password');
    expect(c).toContain('HostKey /lab/host1/ssh_host_ed25519_key');
    expect(c).toContain('AuthorizedKeysFile /lab/host1/authorized_keys .ssh/authorized_keys');
  });

  it("runs sshd in the host's network, name and mount namespaces, over its own Docker directories and an empty /run", () => {
    const argv = cmd.bareHostCommand(h, files);
    expect(argv.slice(0, 8)).toEqual(['nsenter', '--net=/var/run/netns/mx-host1', '--', 'unshare', '--mount', '--uts', '--propagation', 'private']);
    const script = argv.at(-1)!;
    // /etc first: /etc/docker is mounted inside it
    expect(script.indexOf('mount --bind /lab/host1/etc /etc\n')).toBeLessThan(script.indexOf('/etc/docker'));
    expect(script).toContain('mount --bind /lab/host1/home /home');
    expect(script).toContain('mount --bind /lab/host1/etc-docker /etc/docker');
    expect(script).toContain('mount --bind /lab/host1/var-lib-docker /var/lib/docker');
    expect(script).toContain('mount -t tmpfs -o mode=755 tmpfs /run');
    expect(script).toContain('hostname host1');
    expect(script.trim().split('\n').at(-1)).toBe('exec /usr/sbin/sshd -D -e -f /lab/host1/sshd_config');
  });
});
