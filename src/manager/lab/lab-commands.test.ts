import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import * as cmd from './lab-commands.ts';
import { DEFAULT_LAB, labNode, labNodes, managerAddress, registryAddress, validateLabConfig } from '../../shared/lab-config.ts';

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
