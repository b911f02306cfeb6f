// Names in certificates: the apiserver's client name towards node agents, and the subject
// alternative names of a certificate or request split into DNS names and IPs. Apart from
// the X.509 code, so that a node agent can use them without loading it.
import { isIP } from 'node:net';

/** The apiserver's identity towards node agents (their port 10250), as kubeadm names it. */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';

/** How long a leaf certificate made here lasts (serving, client, self-signed): a year, as kubeadm's. */
export const LEAF_LIFETIME_MS = 365 * 24 * 3600 * 1000;

export interface Names {
  dns: string[];
  ips: string[];
}

/** Host names and addresses as given (flags, node addresses) → DNS names (lower case) and IPs, each once. */
export function splitNames(hostnames: string[], ips: string[]): Names {
  const dns = new Set<string>();
  const ipSet = new Set<string>();
  for (const n of [...hostnames, ...ips]) {
    const v = n.trim();
    if (!v) continue;
    if (isIP(v)) ipSet.add(v);
    else dns.add(v.toLowerCase());
  }
  return { dns: [...dns], ips: [...ipSet] };
}
