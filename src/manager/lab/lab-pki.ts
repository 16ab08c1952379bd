/** The lab's view of the cluster PKI: a CA, a server certificate per node, client certificates for the manager and for the engines (registry pulls). */
import { Pki } from '../pki/pki.ts';
import { nodeSans } from '../pki/sans.ts';
import type { LabPki } from './lab.ts';

export async function labPki(dir: string): Promise<LabPki> {
  const pki = new Pki(dir);
  await pki.ensureCa();
  await pki.ensureClientCert('manager');
  return {
    engineTrust: () => pki.engineTrust(),
    nodeCert: (n, renew = false) => (renew ? pki.renewServerCert(n.name, nodeSans(n)) : pki.ensureServerCert(n.name, nodeSans(n))),
    clientTls: () => pki.clientTls('manager'),
    registryTrust: () => pki.registryTrust(),
  };
}
