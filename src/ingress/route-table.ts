// The routing rules of every served Ingress, merged into one table and matched per request as
// the Ingress API defines it: an exact host before a `*.` wildcard (one DNS label) before
// rules without a host; within a host the longest matching path, Exact before Prefix on a
// tie; Prefix matches whole path elements. Pure: built from objects, no I/O.
import type { Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';

/** A Service backend as written in the Ingress: port by number or by name. */
export interface ServiceBackend {
  namespace: string;
  service: string;
  port: number | string;
}

export interface Route {
  backend: ServiceBackend;
  /** namespace/name of the Ingress the route came from. */
  ingress: string;
  annotations: Readonly<Record<string, string>>;
  /** The host has a tls section (redirect HTTP → HTTPS unless turned off). */
  tls: boolean;
  /** The rule's path as matched (a Prefix without its trailing slash); '' for defaultBackend. */
  matched?: { kind: MatchKind; path: string };
}

/** A problem found while building: recorded as a Warning Event on `ingress`. */
export interface RouteProblem {
  ingress: Ingress;
  reason: string;
  message: string;
}

type MatchKind = 'Exact' | 'Prefix';

interface PathRule {
  kind: MatchKind;
  /** For Prefix: the path without a trailing slash ('' for '/'). */
  path: string;
  route: Route;
}

interface HostRules {
  paths: PathRule[];
}

const keyOf = (ing: Ingress) => `${ing.metadata?.namespace ?? 'default'}/${ing.metadata?.name ?? ''}`;

/**
 * Oldest first, the order in which conflicts are won: creationTimestamp, then (timestamps have
 * whole seconds) the order the caller first saw them in, then namespace/name.
 */
export function byAge(seen: (ing: Ingress) => number = () => 0): (a: Ingress, b: Ingress) => number {
  return (a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const sa = seen(a);
    const sb = seen(b);
    if (sa !== sb) return sa - sb;
    return keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;
  };
}

/** True when `path` (a request path, no query) matches the Prefix `prefix` element by element. */
export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path[prefix.length] === '/';
}

/** Does a `*.` wildcard host match `host`? Exactly one label in place of the star. */
export function wildcardMatches(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1);
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The request's Host without the port and trailing dot, lower case. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export class RouteTable {
  private readonly exact = new Map<string, HostRules>();
  private readonly wildcard = new Map<string, HostRules>();
  private readonly anyHost: HostRules = { paths: [] };
  private defaultRoute: Route | undefined;
  /** TLS server names (exact or `*.`) → the Secrets (namespace/name) that may serve them, oldest first. */
  readonly tlsSecrets = new Map<string, string[]>();
  readonly problems: RouteProblem[] = [];
  /** Keys of the Ingresses that got at least one route. */
  readonly served = new Set<string>();

  /**
   * Builds the table from the Ingresses this controller serves (the class filter is the
   * caller's); `seen` ranks Ingresses created in the same second (see byAge).
   */
  static build(ingresses: readonly Ingress[], seen?: (ing: Ingress) => number): RouteTable {
    const t = new RouteTable();
    const owners = new Map<string, Ingress>();
    for (const ing of [...ingresses].sort(byAge(seen))) t.add(ing, owners);
    for (const rules of [t.anyHost, ...t.exact.values(), ...t.wildcard.values()]) sortPaths(rules.paths);
    return t;
  }

  private add(ing: Ingress, owners: Map<string, Ingress>): void {
    const namespace = ing.metadata?.namespace ?? 'default';
    const annotations = ing.metadata?.annotations ?? {};
    const tlsHosts = new Set<string>();
    for (const tls of ing.spec?.tls ?? []) {
      for (const h of tls.hosts ?? []) {
        tlsHosts.add(h.toLowerCase());
        if (!tls.secretName) continue;
        const list = this.tlsSecrets.get(h.toLowerCase()) ?? [];
        list.push(`${namespace}/${tls.secretName}`);
        this.tlsSecrets.set(h.toLowerCase(), list);
      }
    }
    const toRoute = (b: IngressBackend | undefined, where: string, host: string): Route | undefined => {
      if (b?.resource) {
        this.problems.push({
          ingress: ing,
          reason: 'UnsupportedBackend',
          message: `${where}: resource backends (${b.resource.kind}/${b.resource.name}) are not supported by the skiff ingress controller; only Service backends`,
        });
        return undefined;
      }
      const svc = b?.service;
      const port = svc?.port?.number ?? svc?.port?.name;
      if (!svc?.name || port === undefined || port === '') {
        this.problems.push({ ingress: ing, reason: 'InvalidBackend', message: `${where}: a Service backend needs a name and a port` });
        return undefined;
      }
      return { backend: { namespace, service: svc.name, port }, ingress: keyOf(ing), annotations, tls: host !== '' && tlsHosts.has(host) };
    };
    if (ing.spec?.defaultBackend) {
      const r = toRoute(ing.spec.defaultBackend, 'defaultBackend', '');
      if (r && this.defaultRoute) this.conflict(ing, 'defaultBackend', owners.get('default')!);
      else if (r) {
        this.defaultRoute = r;
        owners.set('default', ing);
        this.served.add(keyOf(ing));
      }
    }
    (ing.spec?.rules ?? []).forEach((rule, i) => {
      const host = (rule.host ?? '').toLowerCase();
      const rules = this.rulesFor(host);
      (rule.http?.paths ?? []).forEach((p, j) => {
        const where = `spec.rules[${i}].http.paths[${j}]`;
        const path = p.path ?? '/';
        if (!path.startsWith('/')) {
          this.problems.push({
            ingress: ing,
            reason: 'InvalidPath',
            message: `${where}: path ${JSON.stringify(path)} must start with '/'; this path is ignored`,
          });
          return;
        }
        if (p.pathType === 'ImplementationSpecific' && /[\^$()[\]{}|+?\\*]/.test(path)) {
          this.problems.push({
            ingress: ing,
            reason: 'InvalidPath',
            message: `${where}: path ${JSON.stringify(path)} looks like a regular expression; skiff treats ImplementationSpecific as Prefix and matches it literally`,
          });
        }
        const route = toRoute(p.backend, where, host);
        if (!route) return;
        const kind: MatchKind = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const norm = kind === 'Prefix' ? path.replace(/\/+$/, '') : path;
        const owner = `${host}\u0000${kind}\u0000${norm}`;
        const prior = owners.get(owner);
        if (prior) {
          this.conflict(ing, `host ${JSON.stringify(host || '*')} ${kind} path ${JSON.stringify(path)}`, prior);
          return;
        }
        owners.set(owner, ing);
        rules.paths.push({ kind, path: norm, route: { ...route, matched: { kind, path: norm } } });
        this.served.add(keyOf(ing));
      });
    });
  }

  private conflict(loser: Ingress, what: string, winner: Ingress): void {
    this.problems.push({
      ingress: loser,
      reason: 'RuleConflict',
      message: `${what} of Ingress ${keyOf(loser)} is already served by the older Ingress ${keyOf(winner)}; the rule of ${keyOf(loser)} is ignored`,
    });
  }

  private rulesFor(host: string): HostRules {
    if (host === '') return this.anyHost;
    const map = host.startsWith('*.') ? this.wildcard : this.exact;
    const prior = map.get(host);
    if (prior) return prior;
    const r: HostRules = { paths: [] };
    map.set(host, r);
    return r;
  }

  /** The route for a request, or undefined (404). `path` may carry a query string. */
  match(rawHost: string | undefined, rawPath: string): Route | undefined {
    const host = normalizeHost(rawHost);
    const path = withoutQuery(rawPath);
    const rules = this.hostRules(host);
    if (rules) {
      const hit = matchPath(rules.paths, path);
      if (hit) return hit;
    }
    return this.defaultRoute;
  }

  /** The most specific host rules for `host`: exact, then wildcard, then rules without a host. */
  private hostRules(host: string): HostRules | undefined {
    const exact = this.exact.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(`*${host.slice(dot)}`);
      if (wild) return wild;
    }
    return this.anyHost.paths.length > 0 ? this.anyHost : undefined;
  }

  /** Whether some served rule names `host` with a tls section (for the HTTP → HTTPS redirect). */
  hasTLS(rawHost: string | undefined): boolean {
    const host = normalizeHost(rawHost);
    if (this.tlsSecrets.has(host)) return true;
    const dot = host.indexOf('.');
    return dot > 0 && this.tlsSecrets.has(`*${host.slice(dot)}`);
  }
}

/**
 * The upstream path under `skiff.io/rewrite-target`: the matched part of the request path
 * replaced by the target, the rest and the query kept (`/api` → `/`: `/api/v1?x` → `/v1?x`).
 */
export function rewritePath(target: string, matched: string, requestPath: string): string {
  const rest = requestPath.slice(matched.length);
  const joined = target.endsWith('/') && rest.startsWith('/') ? target + rest.slice(1) : target + rest;
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/** The path without its query or fragment (a scan, not a regular expression: this runs per request). */
function withoutQuery(rawPath: string): string {
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return rawPath.slice(0, i);
  }
  return rawPath;
}

function matchPath(paths: readonly PathRule[], path: string): Route | undefined {
  // Sorted longest first, Exact before Prefix on equal length: the first hit wins.
  for (const p of paths) {
    if (p.kind === 'Exact' ? p.path === path : prefixMatches(p.path, path)) return p.route;
  }
  return undefined;
}

function sortPaths(paths: PathRule[]): void {
  paths.sort((a, b) => b.path.length - a.path.length || (a.kind === b.kind ? 0 : a.kind === 'Exact' ? -1 : 1));
}
