// The CRI PodSandboxConfig for a pod, as the kubelet builds it: name and uid, hostname,
// where its containers' logs go, its resolv.conf (from dnsPolicy), hostPort mappings,
// labels and annotations, and which host namespaces it shares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DNSConfig, PodSandboxConfig, PortMapping } from '../runtime/types.js';
import { parseResolvConf, podDNSConfig } from './dns-config.js';

export { parseResolvConf } from './dns-config.js';

export interface SandboxConfigOptions {
  /** Base of the pods' log directories (DATA_DIR/agent/logs/pods); none when absent. */
  podLogsDir?: string;
  /** The cluster DNS service IP (--cluster-dns); ClusterFirst falls back to Default without it. */
  clusterDns?: string[];
  clusterDomain?: string;
  /** The node's resolv.conf, read for dnsPolicy Default; /etc/resolv.conf unless given. */
  hostResolvConf?: string | (() => string);
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

/** The pod's resolv.conf contents per dnsPolicy, with pod.spec.dnsConfig merged in (dns-config.ts). */
export function podDnsConfig(pod: Pod, opts: SandboxConfigOptions): DNSConfig {
  return podDNSConfig(pod, { clusterDNS: opts.clusterDns ?? [], clusterDomain: opts.clusterDomain ?? 'cluster.local', host: hostDns(opts) });
}

/** hostPort of every container port that asks for one. */
export function podPortMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.hostPort)
        out.push({
          protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
          containerPort: p.containerPort,
          hostPort: p.hostPort,
          ...(p.hostIP ? { hostIp: p.hostIP } : {}),
        });
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
