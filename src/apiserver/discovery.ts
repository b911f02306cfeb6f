// Discovery documents: the legacy ones (/api, /apis, /apis/<g>/<v>) and the aggregated
// v2 form kubectl 1.32 asks for first, all derived from the registry on request.
import type { ResourceRegistry } from '../api/registry.js';
import type { ResourceDef } from '../api/types.js';
import { DEFAULT_VERBS } from '../api/types.js';
import type { AggregatedApiServer } from '../api/aggregated.js';

function subresourceList(def: ResourceDef): { name: string; kind: string; group?: string; version?: string; verbs: string[] }[] {
  const out = [];
  const s = def.subresources ?? {};
  if (s.status) out.push({ name: 'status', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (s.approval) out.push({ name: 'approval', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (s.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  if (s.binding) out.push({ name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] });
  if (s.ephemeralContainers) out.push({ name: 'ephemeralcontainers', kind: def.kind, verbs: ['get', 'patch', 'update'] });
  if (def.group === '' && def.plural === 'pods') {
    out.push({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
    // Served through the pod's node agent (rest/pod-streams.ts).
    out.push({ name: 'attach', kind: 'PodAttachOptions', group: '', version: 'v1', verbs: ['create', 'get'] });
    out.push({ name: 'exec', kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] });
    out.push({ name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] });
    out.push({ name: 'portforward', kind: 'PodPortForwardOptions', group: '', version: 'v1', verbs: ['create', 'get'] });
  }
  if (def.group === '' && def.plural === 'serviceaccounts')
    out.push({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
  if (def.group === '' && def.plural === 'nodes')
    out.push({ name: 'proxy', kind: 'NodeProxyOptions', group: '', version: 'v1', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  if (def.group === '' && def.plural === 'namespaces') out.push({ name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  return out;
}

/** metav1.APIResourceList for one group/version. */
export function resourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
  extra: AggregatedApiServer[] = [],
): Record<string, unknown> | undefined {
  const other = extra.find((a) => a.group === group && a.versions.includes(version));
  if (other) return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: other.resources(version) };
  const defs = registry.resourcesIn(group, version);
  if (!defs.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of defs) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs ?? DEFAULT_VERBS,
      ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
      ...(d.categories?.length ? { categories: d.categories } : {}),
    });
    for (const s of subresourceList(d)) {
      resources.push({
        name: `${d.plural}/${s.name}`,
        singularName: '',
        namespaced: d.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function legacyVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

export function groupList(registry: ResourceRegistry, extra: AggregatedApiServer[] = []): Record<string, unknown> {
  const groups = registry
    .groups()
    .filter((g) => g.name !== '')
    .map((g) => apiGroup(g.name, g.versions));
  for (const a of extra) groups.push(apiGroup(a.group, [...a.versions]));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function group(registry: ResourceRegistry, name: string, extra: AggregatedApiServer[] = []): Record<string, unknown> | undefined {
  const g =
    registry.groups().find((x) => x.name === name && name !== '') ??
    extra.map((a) => ({ name: a.group, versions: [...a.versions] })).find((x) => x.name === name);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.name, g.versions) };
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList, for /api (core only) or /apis (all other groups). */
export function aggregated(
  registry: ResourceRegistry,
  core: boolean,
  version: 'v2' | 'v2beta1' = 'v2',
  extra: AggregatedApiServer[] = [],
): Record<string, unknown> {
  const items = registry
    .groups()
    .filter((g) => (core ? g.name === '' : g.name !== ''))
    .map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry.resourcesIn(g.name, v).map((d) => ({
          resource: d.plural,
          responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: d.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: d.singular,
          verbs: d.verbs ?? DEFAULT_VERBS,
          ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
          ...(d.categories?.length ? { categories: d.categories } : {}),
          ...(subresourceList(d).length
            ? {
                subresources: subresourceList(d).map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind },
                  verbs: s.verbs,
                })),
              }
            : {}),
        })),
        freshness: 'Current',
      })),
    }));
  if (!core) items.push(...extra.map(aggregatedItem));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

/** Which aggregated discovery version the Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList') || !part.includes('g=apidiscovery.k8s.io')) continue;
    if (/v=v2beta1/.test(part)) return 'v2beta1';
    if (/v=v2(;|$|\s)/.test(part)) return 'v2';
  }
  return undefined;
}

/** An aggregated server's group in the v2 discovery document. */
function aggregatedItem(a: AggregatedApiServer) {
  return {
    metadata: { name: a.group, creationTimestamp: null },
    versions: a.versions.map((v) => ({
      version: v,
      resources: a.resources(v).map((r) => ({
        resource: r.name,
        responseKind: { group: a.group, version: v, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName,
        verbs: r.verbs,
        ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      })),
      freshness: 'Current',
    })),
  };
}
