/**
 * The manager's only way to talk to a node: the Docker Engine API over mutual TLS with the
 * cluster's client certificate. No agent runs on nodes.
 */
import Docker from './dockerode.ts';
import type { NodeInfo } from '../../core/model.ts';

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

/**
 * `timeoutMs` bounds a call from its start to the answer's headers, connect included: the
 * modem's `timeout` alone starts counting once the TCP connection is up, and connecting to a
 * powered-off node waits out the kernel's ARP and SYN retries (3 s to minutes), which held
 * every control-loop pass as long. Long answers (a pull's progress stream) are not cut.
 */
export function engineClient(node: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>, tls: ClientTls, timeoutMs = 0): Docker {
  const bounds = timeoutMs > 0 ? { timeout: timeoutMs, connectionTimeout: timeoutMs } : {};
  if (node.socket !== undefined) return new Docker({ socketPath: node.socket, ...bounds });
  return new Docker({
    protocol: 'https',
    host: node.address,
    port: node.enginePort,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    ...bounds,
  });
}

/** True when the engine answers a ping within the timeout. */
/** Waits for the engine to answer (a fresh or restarted dockerd takes seconds); false when it did not within `ms`. */
export async function engineAnswersWithin(node: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>, tls: ClientTls, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await pingEngine(node, tls, 1000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function pingEngine(node: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>, tls: ClientTls, timeoutMs = 1000): Promise<boolean> {
  try {
    await engineClient(node, tls, timeoutMs).ping();
    return true;
  } catch {
    return false;
  }
}
