// Where names outside the cluster go: the nameservers of the node's resolv.conf, unless the
// `kube-system/skiff-dns` ConfigMap says otherwise. Its format is kube-dns's:
//   data:
//     stubDomains: '{"acme.local": ["10.150.0.1", "10.150.0.2:5353"]}'
//     upstreamNameservers: '["192.0.2.53"]'
// A stub domain sends its names (and every name below) to its own servers, the longest
// matching domain winning; upstreamNameservers replace resolv.conf's servers for the rest.
import { isIP } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface UpstreamConfig {
  servers: Upstream[];
  stubDomains: Map<string, Upstream[]>;
}

export const CONFIGMAP_NAMESPACE = 'kube-system';
export const CONFIGMAP_NAME = 'skiff-dns';

export function upstreamKey(u: Upstream): string {
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/** 192.0.2.1, 192.0.2.1:5353, fd00::1, [fd00::1]:5353. */
export function parseUpstream(text: string): Upstream {
  const s = text.trim();
  let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (!m && isIP(s)) return { host: s, port: 53 };
  if (!m) m = /^([^:]+):(\d+)$/.exec(s);
  const host = m?.[1];
  const port = m?.[2] ? Number(m[2]) : 53;
  if (!host || !isIP(host) || !(port > 0 && port < 65536)) throw new Error(`not a nameserver address: ${JSON.stringify(text)} (want IP or IP:port)`);
  return { host, port };
}

/** The nameserver lines of a resolv.conf (addresses only; anything else is skipped). */
export function resolvConfServers(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const [key, value] = raw
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (key !== 'nameserver' || !value) continue;
    // A scoped link-local address (fe80::1%eth0) is kept without its zone: rare on nodes.
    const host = value.replace(/%.*$/, '');
    if (isIP(host)) out.push({ host, port: 53 });
  }
  return out;
}

export interface ConfigMapSettings {
  stubDomains: Map<string, Upstream[]>;
  upstreamNameservers?: Upstream[];
  /** What was wrong with the ConfigMap; the valid parts still apply. */
  errors: string[];
}

export function parseConfigMapData(data: Record<string, string> | undefined): ConfigMapSettings {
  const out: ConfigMapSettings = { stubDomains: new Map(), errors: [] };
  const json = (key: string): unknown => {
    const text = data?.[key];
    if (text === undefined || text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      out.errors.push(`${key}: not JSON: ${(err as Error).message}`);
      return undefined;
    }
  };
  const list = (key: string, v: unknown): Upstream[] => {
    if (!Array.isArray(v)) {
      out.errors.push(`${key}: want a list of nameserver addresses`);
      return [];
    }
    const ups: Upstream[] = [];
    for (const s of v) {
      try {
        ups.push(parseUpstream(String(s)));
      } catch (err) {
        out.errors.push(`${key}: ${(err as Error).message}`);
      }
    }
    return ups;
  };
  const stubs = json('stubDomains');
  if (stubs !== undefined) {
    if (!stubs || typeof stubs !== 'object' || Array.isArray(stubs)) out.errors.push('stubDomains: want an object of domain → list of nameservers');
    else
      for (const [domain, servers] of Object.entries(stubs)) {
        const d = domain.toLowerCase().replace(/\.$/, '');
        if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(d)) {
          out.errors.push(`stubDomains: ${JSON.stringify(domain)} is not a domain name`);
          continue;
        }
        const ups = list(`stubDomains[${domain}]`, servers);
        if (ups.length) out.stubDomains.set(d, ups);
      }
  }
  const upstream = json('upstreamNameservers');
  if (upstream !== undefined) {
    const ups = list('upstreamNameservers', upstream);
    if (ups.length) out.upstreamNameservers = ups.slice(0, 3);
  }
  return out;
}

/** The servers for a (canonical) name: its longest stub domain's, else the default ones. */
export function upstreamsFor(cfg: UpstreamConfig, name: string): { servers: Upstream[]; zone: string } {
  let best: string | undefined;
  for (const d of cfg.stubDomains.keys()) if ((name === d || name.endsWith(`.${d}`)) && (!best || d.length > best.length)) best = d;
  return best ? { servers: cfg.stubDomains.get(best)!, zone: best } : { servers: cfg.servers, zone: '.' };
}
