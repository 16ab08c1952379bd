import { describe, expect, it } from 'vitest';
import type { DesiredReplica } from '../../core/model.ts';
import { containerName, createContainerBody, toObserved } from './container-spec.ts';

const r: DesiredReplica = {
  app: 'simplewebapp1',
  node: 'node1',
  image: '10.210.0.1:5000/cloud/simplewebapp1:latest',
  hostPort: 5050,
  containerPort: 8080,
  id: 'simplewebapp1.node1.5050',
  revision: 'abcdef123456',
};

describe('createContainerBody', () => {
  it('publishes ext:int, labels the replica, runs with init and restarts unless stopped', () => {
    const b = createContainerBody(r);
    expect(b.name).toBe('mx.simplewebapp1.node1.5050.abcdef123456');
    expect(b.Image).toBe(r.image);
    expect(b.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '5050' }] });
    expect(b.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(b.HostConfig.Init).toBe(true);
    expect(b.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(b.Labels).toEqual({
      'matrix.managed': 'true',
      'matrix.app': 'simplewebapp1',
      'matrix.replica': 'simplewebapp1.node1.5050',
      'matrix.revision': 'abcdef123456',
      'matrix.node': 'node1',
    });
    expect(b.Env).toContain('MATRIX_NODE=node1');
    expect(b.Env).toContain('MATRIX_REPLICA=simplewebapp1.node1.5050');
  });

  it('lets the engine pick the host port when none is published, and enforces reservations as limits', () => {
    const b = createContainerBody({ ...r, hostPort: null, resources: { cpus: 0.5, memoryMb: 64 }, restart: 'no', env: { A: '1' } });
    expect(b.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '' }] });
    expect(b.HostConfig.NanoCpus).toBe(500_000_000);
    expect(b.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(b.HostConfig.RestartPolicy.Name).toBe('');
    expect(b.Env[0]).toBe('A=1');
    expect(createContainerBody({ ...r, restart: 'always' }).HostConfig.RestartPolicy.Name).toBe('always');
    expect(createContainerBody(r).HostConfig.NanoCpus).toBeUndefined();
  });

  it("runs the image's own command and entrypoint unless the replica has its own", () => {
    expect(createContainerBody(r)).not.toHaveProperty('Cmd');
    expect(createContainerBody(r)).not.toHaveProperty('Entrypoint');
    const b = createContainerBody({ ...r, command: ['-l', '-p', '8080'], entrypoint: ['nc'] });
    expect([b.Entrypoint, b.Cmd]).toEqual([['nc'], ['-l', '-p', '8080']]);
  });

  it('asks for no host access unless the replica has it', () => {
    const hc = createContainerBody(r).HostConfig;
    for (const k of ['Privileged', 'CapAdd', 'Devices', 'PidMode', 'IpcMode', 'NetworkMode', 'Mounts']) expect(hc).not.toHaveProperty(k);
  });

  it('turns allowed host access into the engine fields', () => {
    const b = createContainerBody(
      {
        ...r,
        host: {
          privileged: true,
          capAdd: ['NET_ADMIN'],
          devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rw' }],
          pid: 'host',
          ipc: 'host',
          binds: [{ source: '/var/log', target: '/host/log', readOnly: true }],
        },
      },
      { dir: 'mx.x.1' },
    );
    expect(b.HostConfig).toMatchObject({
      Privileged: true,
      CapAdd: ['NET_ADMIN'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rw' }],
      PidMode: 'host',
      IpcMode: 'host',
    });
    // the secret files' mount first, then the node paths
    expect(b.HostConfig.Mounts!.map((m) => [m.Source, m.Target, m.ReadOnly])).toEqual([
      ['/dev/shm/matrix-secrets/mx.x.1', '/run/secrets', true],
      ['/var/log', '/host/log', true],
    ]);
    expect(b.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '5050' }] });
  });

  it('a host-network replica publishes nothing and reads back the node port from its label', () => {
    const b = createContainerBody({ ...r, hostPort: 8080, host: { network: 'host' } });
    expect(b.HostConfig.NetworkMode).toBe('host');
    expect(b.HostConfig.PortBindings).toEqual({});
    expect(b.ExposedPorts).toEqual({});
    const o = toObserved('node1', { Id: 'c1', State: 'running', Labels: b.Labels, Ports: [] });
    expect([o?.hostPort, o?.containerPort]).toEqual([8080, 8080]);
    const bad = toObserved('node1', { Id: 'c1', State: 'running', Labels: { ...b.Labels, 'matrix.host-network-port': '99999' }, Ports: [] });
    expect(bad?.hostPort).toBeNull();
  });

  it('joins the cluster network with the cluster DNS and the .matrix search domain; a host-network replica stays on the host', () => {
    const net = { name: 'matrix', dns: '10.210.0.1' };
    const b = createContainerBody(r, {}, net);
    expect(b.HostConfig).toMatchObject({ NetworkMode: 'matrix', Dns: ['10.210.0.1'], DnsSearch: ['matrix'] });
    // it still publishes its port for the ingress
    expect(b.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '5050' }] });
    const noDns = createContainerBody(r, {}, { name: 'matrix', dns: null }).HostConfig;
    expect([noDns.NetworkMode, noDns.Dns, noDns.DnsSearch]).toEqual(['matrix', undefined, undefined]);
    expect(createContainerBody({ ...r, host: { network: 'host' } }, {}, net).HostConfig).toMatchObject({ NetworkMode: 'host' });
    expect(createContainerBody({ ...r, host: { network: 'host' } }, {}, net).HostConfig.Dns).toBeUndefined();
    expect(createContainerBody(r).HostConfig.NetworkMode).toBeUndefined();
  });

  it("an internal replica's port is bound to the node's loopback alone, and its label reads back", () => {
    const b = createContainerBody({ ...r, hostPort: null, internal: true }, {}, { name: 'matrix', dns: '10.210.0.1' });
    expect(b.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(b.Labels['matrix.internal']).toBe('true');
    expect(toObserved('node1', { Id: 'c1', State: 'running', Labels: b.Labels, Ports: [] })?.internal).toBe(true);
    expect(createContainerBody(r).Labels).not.toHaveProperty('matrix.internal');
  });

  it("mounts the slot's own copy of each named volume, read-only when asked", () => {
    const b = createContainerBody({
      ...r,
      id: 'web.0',
      volumes: [
        { name: 'data', target: '/data', readOnly: false },
        { name: 'conf', target: '/etc/app', readOnly: true },
      ],
    });
    expect(b.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'mx.web.0.data', Target: '/data', ReadOnly: false },
      { Type: 'volume', Source: 'mx.web.0.conf', Target: '/etc/app', ReadOnly: true },
    ]);
    expect(createContainerBody(r).HostConfig.Mounts).toBeUndefined();
  });

  it('gives each revision its own name so a replacement never collides with the old container', () => {
    expect(containerName({ ...r, revision: 'x' })).not.toBe(containerName(r));
  });
});

describe('toObserved', () => {
  it('reads a managed container back from its labels and ports', () => {
    const b = createContainerBody(r);
    const o = toObserved('node1', {
      Id: 'c1',
      State: 'running',
      Labels: b.Labels,
      Ports: [{ PrivatePort: 8080, PublicPort: 5050, Type: 'tcp', IP: '0.0.0.0' }],
    });
    expect(o).toEqual({
      containerId: 'c1',
      node: 'node1',
      app: 'simplewebapp1',
      id: 'simplewebapp1.node1.5050',
      revision: 'abcdef123456',
      state: 'running',
      hostPort: 5050,
      containerPort: 8080,
    });
  });

  it('reads its address on the cluster network, and only a well-formed one', () => {
    const base = { Id: 'c1', State: 'running', Labels: createContainerBody(r).Labels, Ports: [] };
    expect(
      toObserved('node1', { ...base, NetworkSettings: { Networks: { matrix: { IPAddress: '10.220.1.2' }, bridge: { IPAddress: '172.17.0.2' } } } })?.address,
    ).toBe('10.220.1.2');
    expect(toObserved('node1', { ...base, NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } } })?.address).toBeUndefined();
    expect(toObserved('node1', { ...base, NetworkSettings: { Networks: { matrix: { IPAddress: '' } } } })?.address).toBeUndefined();
    expect(toObserved('node1', { ...base, NetworkSettings: { Networks: { matrix: null } } })?.address).toBeUndefined();
  });

  it('carries the health check in a label and reads only a well-formed one back', () => {
    const health = { path: '/healthz', intervalS: 1, timeoutS: 1, threshold: 2, window: 3 };
    const b = createContainerBody({ ...r, health });
    expect(JSON.parse(b.Labels['matrix.health']!)).toEqual(health);
    expect(toObserved('node1', { Id: 'c1', State: 'running', Labels: b.Labels, Ports: [] })?.health).toEqual(health);
    const bad = { ...b.Labels, 'matrix.health': '{"path":"x"}' };
    expect(toObserved('node1', { Id: 'c1', State: 'running', Labels: bad, Ports: [] })?.health).toBeUndefined();
    const junk = { ...b.Labels, 'matrix.health': 'not json' };
    expect(toObserved('node1', { Id: 'c1', State: 'running', Labels: junk, Ports: [] })?.health).toBeUndefined();
  });

  it('ignores unmanaged or unlabeled containers and maps unknown states to dead', () => {
    expect(toObserved('n', { Id: 'x', State: 'running', Labels: {}, Ports: [] })).toBeNull();
    expect(toObserved('n', { Id: 'x', State: 'running', Labels: { 'matrix.managed': 'true' }, Ports: [] })).toBeNull();
    const o = toObserved('n', { Id: 'x', State: 'weird', Labels: { 'matrix.managed': 'true', 'matrix.app': 'a', 'matrix.replica': 'a.n.1' }, Ports: [] });
    expect(o?.state).toBe('dead');
    expect(o?.hostPort).toBeNull();
  });
});
