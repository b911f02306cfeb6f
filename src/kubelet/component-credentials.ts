// Client certificates of a joined agent's own components (service proxy, DNS, ingress), as
// k3s gives its agents' kube-proxy one: the node asks for each through the CSR API (signer
// kubernetes.io/kube-apiserver-client; the approver signs exactly these subjects for a node),
// keeps it beside the node's (0600 key) and reuses it while it is valid; renewal goes the
// same way, as the node.
import { agentComponentSubject, type AgentComponent } from '../api/certificates/agent-components.js';
import type { Client } from '../client/client.js';
import { type CertAndKey, type NodeCredentialsOptions, readPair, requestCertificate, usableCert, writePair } from './node-credentials.js';

const APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

const fileBase = (component: AgentComponent) => `${component}-client`;

/** Asks for a new certificate for `component` with the node's `client`, storing it. */
export function renewComponentCert(client: Client, o: NodeCredentialsOptions, component: AgentComponent): () => Promise<CertAndKey> {
  return async () => {
    const subject = agentComponentSubject(component, o.nodeName);
    const next = await requestCertificate(
      client,
      { signerName: APISERVER_CLIENT_SIGNER, usages: ['digital signature', 'client auth'], cn: subject.cn, orgs: subject.orgs },
      o.log,
    );
    writePair(o.dir, fileBase(component), next);
    return next;
  };
}

/** The stored certificate of `component` while the cluster CA issued it to that subject and it has not expired, else a new one. */
export async function ensureComponentCert(client: Client, o: NodeCredentialsOptions, component: AgentComponent): Promise<CertAndKey> {
  const stored = readPair(o.dir, fileBase(component));
  if (usableCert(stored, o.ca, agentComponentSubject(component, o.nodeName).cn)) return stored!;
  return renewComponentCert(client, o, component)();
}
