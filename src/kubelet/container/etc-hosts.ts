// The /etc/hosts the kubelet writes for each pod and mounts into every container: the
// usual localhost lines, the pod's own IPs under its hostname (and FQDN when it has a
// subdomain), then the pod's hostAliases. Host-network pods get the node's file instead,
// with their hostAliases appended.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.js';

const HEADER = '# Kubernetes-managed hosts file.\n';
const HOST_NETWORK_HEADER = '# Kubernetes-managed hosts file (host network).\n';

function aliasLines(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** The pod's hostname and domain as the kubelet derives them (GeneratePodHostNameAndDomain). */
export function podHostnameAndDomain(pod: Pod, clusterDomain = 'cluster.local'): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata?.name || '';
  // A hostname is one DNS label; long pod names are cut, without a trailing dash or dot.
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata?.namespace}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

export function managedHostsContent(podIPs: string[], hostname: string, domain: string, aliases?: HostAlias[]): string {
  let out = HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliasLines(aliases);
}

export function hostNetworkHostsContent(nodeHosts: string, aliases?: HostAlias[]): string {
  const body = nodeHosts && !nodeHosts.endsWith('\n') ? `${nodeHosts}\n` : nodeHosts;
  return HOST_NETWORK_HEADER + body + aliasLines(aliases);
}

export interface HostsFileOptions {
  podIPs: string[];
  clusterDomain?: string;
  /** The node's hosts file, copied for host-network pods; default /etc/hosts. */
  nodeHostsFile?: string;
}

/** Writes the pod's hosts file at `file` and returns its content. */
export async function writeHostsFile(file: string, pod: Pod, opts: HostsFileOptions): Promise<string> {
  let content: string;
  if (pod.spec?.hostNetwork) {
    const src = opts.nodeHostsFile ?? '/etc/hosts';
    let nodeHosts = '';
    try {
      nodeHosts = await readFile(src, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`reading node hosts file ${src}: ${(err as Error).message}`);
    }
    content = hostNetworkHostsContent(nodeHosts, pod.spec.hostAliases);
  } else {
    const { hostname, domain } = podHostnameAndDomain(pod, opts.clusterDomain);
    content = managedHostsContent(opts.podIPs, hostname, domain, pod.spec?.hostAliases);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content, { mode: 0o644 });
  return content;
}
