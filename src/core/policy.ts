/**
 * Pure: the cluster policy on host access. Every `AppSpec.host` field hands a container part
 * of its node (kernel, devices, processes, network, files); each is refused unless the
 * operator allowed that kind in manager.json's `policy`. The error names the key to change.
 */
import type { AppSpec } from './model.ts';
import { MatrixError } from './errors.ts';

export interface HostPolicy {
  privileged: boolean;
  capabilities: boolean;
  devices: boolean;
  /** PID, IPC and network namespaces of the node. */
  hostNamespaces: boolean;
  hostPaths: boolean;
}

export const DEFAULT_POLICY: HostPolicy = { privileged: false, capabilities: false, devices: false, hostNamespaces: false, hostPaths: false };

export const POLICY_KEYS = Object.keys(DEFAULT_POLICY) as (keyof HostPolicy)[];

/** What the app asks for, by policy key, with the spec field it comes from. */
function asks(a: AppSpec): { key: keyof HostPolicy; field: string; what: string }[] {
  const h = a.host;
  if (!h) return [];
  const out: { key: keyof HostPolicy; field: string; what: string }[] = [];
  if (h.privileged) out.push({ key: 'privileged', field: 'privileged', what: 'a privileged container' });
  if (h.capAdd?.length) out.push({ key: 'capabilities', field: 'cap_add', what: `added capabilities (${h.capAdd.join(', ')})` });
  if (h.devices?.length) out.push({ key: 'devices', field: 'devices', what: `host devices (${h.devices.map((d) => d.host).join(', ')})` });
  if (h.pid) out.push({ key: 'hostNamespaces', field: 'pid', what: "the node's PID namespace" });
  if (h.ipc) out.push({ key: 'hostNamespaces', field: 'ipc', what: "the node's IPC namespace" });
  if (h.network) out.push({ key: 'hostNamespaces', field: 'network', what: "the node's network" });
  if (h.binds?.length) out.push({ key: 'hostPaths', field: 'volumes', what: `node paths (${h.binds.map((b) => b.source).join(', ')})` });
  return out;
}

/** Where a host-access field is in the app's spec: compose keys at the service, matrix.yaml under `host:`. */
export function hostFieldPath(a: AppSpec, field: string): string {
  const base = a.source ?? `apps.${a.name}`;
  if (base.includes('#services.')) return `${base}.${field === 'network' ? 'network_mode' : field}`;
  return `${base}.host.${field}`;
}

/** One E_POLICY_DENIED per refused field, with its path; empty when the policy allows everything asked. */
export function policyProblems(apps: readonly AppSpec[], policy: HostPolicy): MatrixError[] {
  return apps.flatMap((a) =>
    asks(a)
      .filter((x) => !policy[x.key])
      .map(
        (x) =>
          new MatrixError(
            'E_POLICY_DENIED',
            `${a.name} asks for ${x.what}, which the cluster policy refuses: an operator allows it with "policy": { "${x.key}": true } in manager.json (then restart the manager)`,
            { path: hostFieldPath(a, x.field) },
          ),
      ),
  );
}
