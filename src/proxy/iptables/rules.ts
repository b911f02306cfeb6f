// The iptables rules of one service port, as a pure function of the service and its endpoints,
// in kube-proxy's layout and wording (its iptables proxier's syncProxyRules): jumps from the
// shared chains (KUBE-SERVICES, KUBE-NODEPORTS; REJECT/DROP in filter when there is no endpoint
// to send to) and the port's own nat chains (KUBE-SVC/SVL/EXT, one KUBE-SEP per endpoint).
import { categorizeEndpoints } from '../endpoint-selection.js';
import type { EndpointInfo, ServicePortInfo } from '../types.js';
import { endpointChain, serviceChain } from './chain-names.js';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

export interface RuleContext {
  /** The pod network (--cluster-cidr): cluster-IP traffic from outside it is masqueraded. */
  clusterCIDR?: string;
}

export interface NatChain {
  name: string;
  rules: string[];
}

/** Everything one service port contributes; the rule lines start with `-A CHAIN`. */
export interface ServicePortRules {
  /** nat KUBE-SERVICES. */
  natServices: string[];
  /** nat KUBE-NODEPORTS. */
  natNodePorts: string[];
  /** filter KUBE-SERVICES (cluster IP without endpoints). */
  filterServices: string[];
  /** filter KUBE-EXTERNAL-SERVICES (external addresses without endpoints). */
  filterExternal: string[];
  /** filter KUBE-NODEPORTS (health check node port accepted). */
  filterNodePorts: string[];
  /** The port's own nat chains, in the order they are written. */
  chains: NatChain[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** kube-proxy writes a comment with spaces in double quotes. */
function comment(text: string): string {
  return `-m comment --comment ${/\s/.test(text) ? `"${text}"` : text}`;
}

/** 1/n with ten decimals, as kube-proxy prints the statistic match's probability. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

function endpointString(e: EndpointInfo): string {
  return `${e.ip}:${e.port}`;
}

/** Endpoints in the order rules list them: by "ip:port", so the output is stable. */
function sorted(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  return [...endpoints].sort((a, b) => (endpointString(a) < endpointString(b) ? -1 : endpointString(a) > endpointString(b) ? 1 : 0));
}

export function servicePortRules(svc: ServicePortInfo, allEndpoints: readonly EndpointInfo[], ctx: RuleContext): ServicePortRules {
  const out: ServicePortRules = { natServices: [], natNodePorts: [], filterServices: [], filterExternal: [], filterNodePorts: [], chains: [] };
  const clusterIP = svc.clusterIPs.find((ip) => IPV4.test(ip));
  // Headless and ExternalName Services have no cluster IP; this node's iptables speaks IPv4 only.
  if (!clusterIP) return out;
  const name = svc.key;
  const proto = svc.protocol.toLowerCase();
  const match = `-m ${proto} -p ${proto}`;
  const { cluster, local, reachable, hasAny } = categorizeEndpoints(
    svc,
    allEndpoints.filter((e) => IPV4.test(e.ip)),
  );
  const externalIPs = svc.externalIPs.filter((ip) => IPV4.test(ip));
  const lbIPs = svc.loadBalancerIPs.filter((ip) => IPV4.test(ip));
  const externallyAccessible = svc.nodePort !== undefined || externalIPs.length > 0 || lbIPs.length > 0;

  const clusterChain = serviceChain('SVC', name, proto);
  const localChain = serviceChain('SVL', name, proto);
  const extChain = serviceChain('EXT', name, proto);
  const internalChain = svc.internalTrafficPolicyLocal ? localChain : clusterChain;
  const externalPolicyChain = svc.externalTrafficPolicyLocal ? localChain : clusterChain;
  const hasInternal = svc.internalTrafficPolicyLocal ? local.length > 0 : hasAny;
  const hasExternal = svc.externalTrafficPolicyLocal ? local.length > 0 : hasAny;
  const usesExtChain = hasAny && externallyAccessible;

  // No endpoint at all: REJECT (connection refused at once); none of the policy's: DROP.
  const noEndpoints = `"${name} has no endpoints"`;
  const noLocal = `"${name} has no local endpoints"`;
  const internalFilter = hasAny ? { target: 'DROP', text: noLocal } : { target: 'REJECT', text: noEndpoints };
  const externalFilter = hasAny ? { target: 'DROP', text: noLocal } : { target: 'REJECT', text: noEndpoints };
  const filterComment = (t: string) => `-m comment --comment ${t}`;

  const clusterIPMatch = `${match} -d ${clusterIP} --dport ${svc.port}`;
  if (hasInternal) out.natServices.push(`-A ${KUBE_SERVICES} ${comment(`${name} cluster IP`)} ${clusterIPMatch} -j ${internalChain}`);
  else out.filterServices.push(`-A ${KUBE_SERVICES} ${filterComment(internalFilter.text)} ${clusterIPMatch} -j ${internalFilter.target}`);

  for (const ip of externalIPs) {
    const m = `${match} -d ${ip} --dport ${svc.port}`;
    if (hasAny) out.natServices.push(`-A ${KUBE_SERVICES} ${comment(`${name} external IP`)} ${m} -j ${extChain}`);
    if (!hasExternal) out.filterExternal.push(`-A ${KUBE_EXTERNAL_SERVICES} ${filterComment(externalFilter.text)} ${m} -j ${externalFilter.target}`);
  }
  for (const ip of lbIPs) {
    if (hasAny) out.natServices.push(`-A ${KUBE_SERVICES} ${comment(`${name} loadbalancer IP`)} ${match} -d ${ip} --dport ${svc.port} -j ${extChain}`);
  }
  if (!hasExternal)
    for (const ip of lbIPs)
      out.filterExternal.push(
        `-A ${KUBE_EXTERNAL_SERVICES} ${filterComment(externalFilter.text)} ${match} -d ${ip} --dport ${svc.port} -j ${externalFilter.target}`,
      );
  if (svc.nodePort !== undefined) {
    if (hasAny) out.natNodePorts.push(`-A ${KUBE_NODEPORTS} ${comment(name)} ${match} --dport ${svc.nodePort} -j ${extChain}`);
    if (!hasExternal)
      out.filterExternal.push(
        `-A ${KUBE_EXTERNAL_SERVICES} ${filterComment(externalFilter.text)} -m addrtype --dst-type LOCAL ${match} --dport ${svc.nodePort} -j ${externalFilter.target}`,
      );
  }
  if (svc.healthCheckNodePort)
    out.filterNodePorts.push(`-A ${KUBE_NODEPORTS} ${comment(`${name} health check node port`)} -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`);

  // The internal policy chain masquerades cluster-IP traffic that comes from outside the pod network.
  const internalMasq =
    hasInternal && ctx.clusterCIDR
      ? `-A ${internalChain} ${comment(`${name} cluster IP`)} ${clusterIPMatch} ! -s ${ctx.clusterCIDR} -j ${KUBE_MARK_MASQ}`
      : undefined;

  if (usesExtChain) {
    const rules: string[] = [];
    if (!svc.externalTrafficPolicyLocal) {
      rules.push(`-A ${extChain} ${comment(`masquerade traffic for ${name} external destinations`)} -j ${KUBE_MARK_MASQ}`);
    } else {
      // Pods and the node itself reach external addresses by Cluster policy, as if through an
      // outside load balancer; only traffic from outside keeps its source and stays local.
      if (ctx.clusterCIDR) rules.push(`-A ${extChain} ${comment(`pod traffic for ${name} external destinations`)} -s ${ctx.clusterCIDR} -j ${clusterChain}`);
      rules.push(`-A ${extChain} ${comment(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`);
      rules.push(`-A ${extChain} ${comment(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${clusterChain}`);
    }
    if (hasExternal) rules.push(`-A ${extChain} -j ${externalPolicyChain}`);
    out.chains.push({ name: extChain, rules });
  }

  const sepName = (e: EndpointInfo) => endpointChain(name, proto, endpointString(e));
  const policyChain = (chain: string, endpoints: EndpointInfo[]) => {
    const rules: string[] = [];
    if (internalMasq && chain === internalChain) rules.push(internalMasq);
    const eps = sorted(endpoints);
    if (svc.affinityTimeoutSeconds !== undefined)
      for (const e of eps)
        rules.push(
          `-A ${chain} ${comment(`${name} -> ${endpointString(e)}`)} -m recent --name ${sepName(e)} --rcheck --seconds ${svc.affinityTimeoutSeconds} --reap -j ${sepName(e)}`,
        );
    eps.forEach((e, i) => {
      const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
      rules.push(`-A ${chain} ${comment(`${name} -> ${endpointString(e)}`)}${stat} -j ${sepName(e)}`);
    });
    out.chains.push({ name: chain, rules });
  };
  if (cluster.length > 0) policyChain(clusterChain, cluster);
  if (local.length > 0) policyChain(localChain, local);

  for (const e of sorted(reachable)) {
    const sep = sepName(e);
    const affinity = svc.affinityTimeoutSeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
    out.chains.push({
      name: sep,
      rules: [
        // Hairpin: a pod reaching itself through the Service must see the reply come from the Service.
        `-A ${sep} ${comment(name)} -s ${e.ip} -j ${KUBE_MARK_MASQ}`,
        `-A ${sep} ${comment(name)}${affinity} ${match} -j DNAT --to-destination ${endpointString(e)}`,
      ],
    });
  }
  return out;
}
