// The pod's resolv.conf as the kubelet computes it for the sandbox (CRI DNSConfig): by
// dnsPolicy — ClusterFirst (cluster DNS, the namespace's search path, ndots:5), Default
// (the node's own resolv.conf), None — then the pod's dnsConfig appended, within the
// resolver's limits (3 nameservers, 32 search domains of at most 2048 characters in all).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DNSConfig } from '../runtime/types.js';

export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_CHARS = 2048;

export interface NodeDNS {
  /** --cluster-dns: the cluster DNS Service IPs. Empty: ClusterFirst pods fall back to the node's. */
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's resolv.conf, parsed (parseResolvConf). */
  host: DNSConfig;
}

/** nameserver, search/domain and options lines; comments and the rest ignored. */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.servers.push(fields[0]);
    // The last search or domain line wins, as in the resolver.
    else if (key === 'search') out.searches = fields.map((f) => f.replace(/\.$/, ''));
    else if (key === 'domain' && fields[0]) out.searches = [fields[0].replace(/\.$/, '')];
    else if (key === 'options') out.options.push(...fields);
  }
  return out;
}

const unique = (xs: string[]) => [...new Set(xs)];

/** Options by name: a later `ndots:2` replaces an earlier `ndots:5`. */
function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0]!, o);
  for (const o of extra) if (o.name) byName.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

function fitSearches(searches: string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of searches.slice(0, MAX_SEARCH_PATHS)) {
    chars += s.length + (out.length ? 1 : 0);
    if (chars > MAX_SEARCH_CHARS) break;
    out.push(s);
  }
  return out;
}

type Kind = 'cluster' | 'host' | 'none';

function dnsKind(pod: Pod, hasClusterDNS: boolean): Kind {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  let kind: Kind;
  if (policy === 'None') kind = 'none';
  else if (policy === 'ClusterFirstWithHostNet') kind = 'cluster';
  else if (policy === 'ClusterFirst') kind = pod.spec?.hostNetwork ? 'host' : 'cluster';
  else kind = 'host';
  return kind === 'cluster' && !hasClusterDNS ? 'host' : kind;
}

export function podDNSConfig(pod: Pod, node: NodeDNS): DNSConfig {
  const kind = dnsKind(pod, node.clusterDNS.length > 0);
  let cfg: DNSConfig;
  if (kind === 'cluster') {
    const d = node.clusterDomain;
    const ns = pod.metadata?.namespace ?? 'default';
    cfg = { servers: [...node.clusterDNS], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...node.host.searches], options: ['ndots:5'] };
  } else if (kind === 'host') cfg = { servers: [...node.host.servers], searches: [...node.host.searches], options: [...node.host.options] };
  else cfg = { servers: [], searches: [], options: [] };
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg.servers = unique([...cfg.servers, ...(extra.nameservers ?? [])]);
    cfg.searches = unique([...cfg.searches, ...(extra.searches ?? [])]);
    cfg.options = mergeOptions(cfg.options, extra.options ?? []);
  }
  cfg.servers = cfg.servers.slice(0, MAX_NAMESERVERS);
  cfg.searches = fitSearches(unique(cfg.searches));
  return cfg;
}
