/**
 * Pure: what a desired replica becomes on a Docker engine (the create-container body), and
 * how a listed container reads back as an observed replica. The labels are the contract
 * that lets a restarted manager rebuild its view from the nodes alone.
 */
import { DEFAULT_RESTART } from '../../core/defaults.ts';
import { secretsMount, type ContainerMount } from './secret-files.ts';
import { DNS_DOMAIN } from '../../core/dns/zone.ts';
import { CLUSTER_NETWORK, parseIpv4 } from '../../core/network/cluster-network.ts';
import {
  LABELS,
  type ContainerState,
  type DesiredReplica,
  type HealthCheck,
  type HostAccess,
  type ObservedReplica,
  type RestartPolicy,
} from '../../core/model.ts';

const MIB = 1024 * 1024;

export interface CreateContainerBody {
  name: string;
  Image: string;
  /** Absent: the image's own. */
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  HostConfig: {
    PortBindings: Record<string, { HostPort: string; HostIp?: string }[]>;
    /** The replica's secret files (secret-files.ts), and node paths the policy allowed. */
    Mounts?: ContainerMount[];
    // host access, only what the spec asked for and the cluster policy allowed at deploy
    Privileged?: boolean;
    CapAdd?: string[];
    Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
    PidMode?: 'host';
    IpcMode?: 'host';
    /** `host`, or the cluster network (`matrix`): its address is routed from every node. */
    NetworkMode?: string;
    /** The cluster's DNS (`<app>.matrix`), behind the engine's own resolver on the network. */
    Dns?: string[];
    DnsSearch?: string[];
    /** docker-init as PID 1: busybox httpd ignores SIGTERM, so every stop would wait the grace period. */
    Init: boolean;
    RestartPolicy: { Name: RestartPolicy | '' };
    /** Reservations are enforced as limits too, so the scheduler's arithmetic holds. */
    NanoCpus?: number;
    Memory?: number;
    MemoryReservation?: number;
  };
}

export function containerName(r: DesiredReplica): string {
  return `mx.${r.id}.${r.revision}`;
}

/**
 * `secrets`: resolved at the edge just before the create: the values of the replica's env
 * secrets, and the node directory its secret files were written to (secret-files.ts).
 */
/** The cluster network a container joins, and the DNS server its names resolve through. */
export interface ContainerNetwork {
  name: string;
  /** The manager's DNS address as nodes reach it; null: the engine's default resolvers. */
  dns: string | null;
}

export function createContainerBody(
  r: DesiredReplica,
  secrets: { env?: Record<string, string>; dir?: string } = {},
  network: ContainerNetwork | null = null,
): CreateContainerBody {
  const port = `${r.containerPort}/tcp`;
  const name = containerName(r);
  const hostNetwork = r.host?.network === 'host';
  const mounts = [...(secrets.dir !== undefined ? [secretsMount(secrets.dir)] : []), ...binds(r.host), ...volumeMounts(r)];
  return {
    name,
    Image: r.image,
    ...(r.command ? { Cmd: r.command } : {}),
    ...(r.entrypoint ? { Entrypoint: r.entrypoint } : {}),
    Env: [
      ...Object.entries(r.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...Object.entries(secrets.env ?? {}).map(([k, v]) => `${k}=${v}`),
      `MATRIX_APP=${r.app}`,
      `MATRIX_NODE=${r.node}`,
      `MATRIX_REPLICA=${r.id}`,
      `PORT=${r.containerPort}`,
    ],
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.app]: r.app,
      [LABELS.replica]: r.id,
      [LABELS.revision]: r.revision,
      [LABELS.node]: r.node,
      ...(r.health ? { [LABELS.health]: JSON.stringify(r.health) } : {}),
      ...(hostNetwork ? { [LABELS.hostNetworkPort]: String(r.containerPort) } : {}),
      ...(r.internal ? { [LABELS.internal]: 'true' } : {}),
    },
    // on the host network the app listens on the node's port itself: nothing to publish
    ExposedPorts: hostNetwork ? {} : { [port]: {} },
    HostConfig: {
      // an empty HostPort asks the engine for a free one
      // an internal app's port is bound to the node's loopback alone: unreachable from outside, yet
      // Docker's firewall then accepts the port from the cluster network (it accepts published ports)
      PortBindings: hostNetwork
        ? {}
        : { [port]: [r.internal ? { HostIp: '127.0.0.1', HostPort: '' } : { HostPort: r.hostPort === null ? '' : String(r.hostPort) }] },
      ...(mounts.length ? { Mounts: mounts } : {}),
      ...hostAccess(r.host),
      ...(network && !hostNetwork ? clusterNetwork(network) : {}),
      Init: true,
      RestartPolicy: { Name: r.restart === 'no' ? '' : (r.restart ?? DEFAULT_RESTART) },
      ...(r.resources && r.resources.cpus > 0 ? { NanoCpus: Math.round(r.resources.cpus * 1e9) } : {}),
      ...(r.resources && r.resources.memoryMb > 0 ? { Memory: r.resources.memoryMb * MIB, MemoryReservation: r.resources.memoryMb * MIB } : {}),
    },
  };
}

function clusterNetwork(n: ContainerNetwork): Partial<CreateContainerBody['HostConfig']> {
  // `web` and `web.matrix` both resolve: the search domain turns the first into the second
  return { NetworkMode: n.name, ...(n.dns !== null ? { Dns: [n.dns], DnsSearch: [DNS_DOMAIN] } : {}) };
}

/** A replica slot's own copy of an app's volume on its node: `mx.web.0.data`. */
export function volumeName(replicaId: string, volume: string): string {
  return `mx.${replicaId}.${volume}`;
}

function volumeMounts(r: DesiredReplica): ContainerMount[] {
  return (r.volumes ?? []).map((v) => ({ Type: 'volume', Source: volumeName(r.id, v.name), Target: v.target, ReadOnly: v.readOnly }));
}

function binds(h: HostAccess | undefined): ContainerMount[] {
  return (h?.binds ?? []).map((b) => ({ Type: 'bind', Source: b.source, Target: b.target, ReadOnly: b.readOnly }));
}

function hostAccess(h: HostAccess | undefined): Partial<CreateContainerBody['HostConfig']> {
  if (!h) return {};
  return {
    ...(h.privileged ? { Privileged: true } : {}),
    ...(h.capAdd?.length ? { CapAdd: h.capAdd } : {}),
    ...(h.devices?.length ? { Devices: h.devices.map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.permissions })) } : {}),
    ...(h.pid ? { PidMode: h.pid } : {}),
    ...(h.ipc ? { IpcMode: h.ipc } : {}),
    ...(h.network ? { NetworkMode: h.network } : {}),
  };
}

/** The subset of Docker's list-containers item we read. */
export interface ListedContainer {
  Id: string;
  State: string;
  Labels: Record<string, string>;
  Ports: { PrivatePort: number; PublicPort?: number; Type: string; IP?: string }[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string } | null> };
}

const STATES: ContainerState[] = ['running', 'exited', 'created', 'restarting', 'paused', 'dead', 'removing'];

/** Returns null for containers cloudmatrix does not manage or whose labels are incomplete. */
export function toObserved(node: string, c: ListedContainer): ObservedReplica | null {
  const l = c.Labels ?? {};
  if (l[LABELS.managed] !== 'true' || !l[LABELS.app] || !l[LABELS.replica]) return null;
  const tcp = (c.Ports ?? []).find((p) => p.Type === 'tcp' && p.PublicPort !== undefined);
  const hostNetworkPort = Number(l[LABELS.hostNetworkPort]);
  const onHost = Number.isInteger(hostNetworkPort) && hostNetworkPort > 0 && hostNetworkPort < 65536 ? hostNetworkPort : null;
  return {
    containerId: c.Id,
    node,
    app: l[LABELS.app]!,
    id: l[LABELS.replica]!,
    revision: l[LABELS.revision] ?? '',
    state: (STATES as string[]).includes(c.State) ? (c.State as ContainerState) : 'dead',
    hostPort: tcp?.PublicPort ?? onHost,
    containerPort: tcp?.PrivatePort ?? onHost,
    ...healthLabel(l[LABELS.health]),
    ...(l[LABELS.internal] === 'true' ? { internal: true } : {}),
    ...clusterAddress(c),
  };
}

function clusterAddress(c: ListedContainer): { address?: string } {
  const a = c.NetworkSettings?.Networks?.[CLUSTER_NETWORK]?.IPAddress;
  return typeof a === 'string' && parseIpv4(a) !== null ? { address: a } : {};
}

function healthLabel(v: string | undefined): { health?: HealthCheck } {
  if (!v) return {};
  try {
    const h = JSON.parse(v) as HealthCheck;
    // a label is outside input: only a well-formed check is trusted
    const ok =
      typeof h.path === 'string' && h.path.startsWith('/') && [h.intervalS, h.timeoutS, h.threshold, h.window].every((n) => typeof n === 'number' && n > 0);
    return ok ? { health: h } : {};
  } catch {
    return {};
  }
}
