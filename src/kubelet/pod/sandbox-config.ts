// The CRI PodSandboxConfig for a pod, as the kubelet builds it: name and uid, hostname,
// where its containers' logs go, its resolv.conf (from dnsPolicy), hostPort mappings,
// labels and annotations, and which host namespaces it shares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DNSConfig, PodSandboxConfig, PortMapping } from '../runtime/types.js';

export interface SandboxConfigOptions {
  /** Base of the pods' log directories (DATA_DIR/agent/logs/pods); none when absent. */
  podLogsDir?: string;
  /** The cluster DNS service IP (--cluster-dns); ClusterFirst falls back to Default without it. */
  clusterDns?: string[];
  clusterDomain?: string;
  /** The node's resolv.conf, read for dnsPolicy Default; /etc/resolv.conf unless given. */
  hostResolvConf?: string | (() => string);
}

/** kubelet's limits on the resolv.conf it writes (glibc's, raised as Kubernetes does). */
const MAX_DNS_SEARCHES = 32;
const MAX_DNS_SERVERS = 3;

export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest.filter(Boolean);
    else if (key === 'options') out.options.push(...rest.filter(Boolean));
  }
  return out;
}

function hostDns(opts: SandboxConfigOptions): DNSConfig {
  const src = opts.hostResolvConf;
  let text = '';
  try {
    text = typeof src === 'function' ? src() : readFileSync(src ?? '/etc/resolv.conf', 'utf8');
  } catch {
    /* no resolv.conf on the node: pods get none either */
  }
  return parseResolvConf(text);
}

/** Options by name: later ones replace earlier ones of the same name (ndots:2 over ndots:5). */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

const unique = (xs: string[]) => [...new Set(xs)];

/** The pod's resolv.conf contents per dnsPolicy, with pod.spec.dnsConfig merged in. */
export function podDnsConfig(pod: Pod, opts: SandboxConfigOptions): DNSConfig {
  const spec = pod.spec ?? { containers: [] };
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const hostNet = spec.hostNetwork === true;
  const domain = opts.clusterDomain ?? 'cluster.local';
  let base: DNSConfig;
  const cluster = (policy === 'ClusterFirst' && !hostNet) || policy === 'ClusterFirstWithHostNet';
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (cluster && opts.clusterDns?.length) {
    const ns = pod.metadata?.namespace ?? 'default';
    base = {
      servers: [...opts.clusterDns],
      // The node's own search domains follow the cluster's, as the kubelet does.
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...hostDns(opts).searches],
      options: ['ndots:5'],
    };
  } else base = hostDns(opts);
  const extra = spec.dnsConfig;
  const options = (extra?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name!)).filter(Boolean);
  return {
    servers: unique([...base.servers, ...(extra?.nameservers ?? [])]).slice(0, MAX_DNS_SERVERS),
    searches: unique([...base.searches, ...(extra?.searches ?? [])]).slice(0, MAX_DNS_SEARCHES),
    options: mergeOptions(base.options, options),
  };
}

/** hostPort of every container port that asks for one. */
export function podPortMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.hostPort)
        out.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
  return out;
}

/** DATA_DIR/agent/logs/pods/<namespace>_<name>_<uid>, as /var/log/pods is laid out. */
export function podLogDirectory(base: string, pod: Pod): string {
  const m = pod.metadata!;
  return join(base, `${m.namespace}_${m.name}_${m.uid}`);
}

/** The log file of one container attempt, relative to the pod's log directory. */
export function containerLogPath(containerName: string, attempt: number): string {
  return join(containerName, `${attempt}.log`);
}

export function buildSandboxConfig(pod: Pod, opts: SandboxConfigOptions = {}, attempt = 0): PodSandboxConfig {
  const m = pod.metadata!;
  const spec = pod.spec ?? { containers: [] };
  // Hostnames are DNS labels: the kubelet truncates long pod names to 63 characters.
  const hostname = (spec.hostname ?? m.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
  return {
    metadata: { name: m.name!, namespace: m.namespace!, uid: m.uid!, attempt },
    hostname,
    ...(opts.podLogsDir ? { logDirectory: podLogDirectory(opts.podLogsDir, pod) } : {}),
    dnsConfig: podDnsConfig(pod, opts),
    portMappings: podPortMappings(pod),
    labels: {
      ...(m.labels ?? {}),
      'io.kubernetes.pod.name': m.name!,
      'io.kubernetes.pod.namespace': m.namespace!,
      'io.kubernetes.pod.uid': m.uid!,
    },
    annotations: { ...(m.annotations ?? {}) },
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
    hostIPC: spec.hostIPC === true,
    sharePID: spec.shareProcessNamespace === true,
    ...(spec.securityContext?.sysctls?.length ? { sysctls: Object.fromEntries(spec.securityContext.sysctls.map((s) => [s.name, s.value])) } : {}),
  };
}
