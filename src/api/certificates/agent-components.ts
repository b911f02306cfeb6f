// The identities a joined agent's own components authenticate as, each with a client
// certificate the agent asks for with the node's credentials (signer
// kubernetes.io/kube-apiserver-client): the service proxy as system:kube-proxy (as k3s's
// agents), the DNS and the ingress controller as users of their own per node in groups the
// bootstrap policy binds to their roles. The CSR approver signs these subjects for a node,
// and only these; the policy no longer lets the node identity itself act as them.

export type AgentComponent = 'proxy' | 'dns' | 'ingress';

export const AGENT_PROXY_USER = 'system:kube-proxy';
export const AGENT_DNS_GROUP = 'system:skiff-dns';
export const AGENT_INGRESS_GROUP = 'system:skiff-ingress';

export interface ComponentSubject {
  /** The certificate's CN: the user name. */
  cn: string;
  /** The certificate's O: the groups. */
  orgs: string[];
}

/** The subject node `nodeName`'s `component` gets. */
export function agentComponentSubject(component: AgentComponent, nodeName: string): ComponentSubject {
  switch (component) {
    case 'proxy':
      return { cn: AGENT_PROXY_USER, orgs: [] };
    case 'dns':
      return { cn: `${AGENT_DNS_GROUP}:${nodeName}`, orgs: [AGENT_DNS_GROUP] };
    case 'ingress':
      return { cn: `${AGENT_INGRESS_GROUP}:${nodeName}`, orgs: [AGENT_INGRESS_GROUP] };
  }
}

const COMPONENTS: readonly AgentComponent[] = ['proxy', 'dns', 'ingress'];

/** Which component of node `nodeName` this exact subject (CN, O in order) belongs to, if any. */
export function agentComponentOf(cn: string, orgs: readonly string[], nodeName: string): AgentComponent | undefined {
  return COMPONENTS.find((c) => {
    const want = agentComponentSubject(c, nodeName);
    return want.cn === cn && want.orgs.length === orgs.length && want.orgs.every((o, i) => orgs[i] === o);
  });
}

/** The node whose DNS `user` is, if it is one (system:skiff-dns:<node> in system:skiff-dns). */
export function agentDnsNodeOf(user: { username: string; groups?: readonly string[] }): string | undefined {
  const prefix = `${AGENT_DNS_GROUP}:`;
  if (!user.username.startsWith(prefix) || !user.groups?.includes(AGENT_DNS_GROUP)) return undefined;
  return user.username.slice(prefix.length) || undefined;
}

/** Where a node's DNS publishes its listener: one EndpointSlice of kube-system/kube-dns per node. */
export const KUBE_DNS_NAMESPACE = 'kube-system';
export const KUBE_DNS_SERVICE = 'kube-dns';
export const nodeDnsSliceName = (nodeName: string): string => `${KUBE_DNS_SERVICE}-${nodeName}`.slice(0, 253);
