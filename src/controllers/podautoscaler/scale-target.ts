// The HPA's scaleTargetRef resolved to a resource with a /scale subresource (Deployment,
// ReplicaSet, StatefulSet, a custom resource with scale), as the REST mapper resolves it.
import type { ResourceRegistry } from '../../api/registry.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Client } from '../../client/client.js';
import type { ResourceType } from '../../client/resources.js';

export interface TargetRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
}

export interface ScaleClient {
  /** The resource behind the reference; throws with Kubernetes' mapping errors. */
  resolve(ref: TargetRef): ResourceType;
  getScale(type: ResourceType, namespace: string, name: string): Promise<Scale>;
  updateScale(type: ResourceType, namespace: string, scale: Scale): Promise<Scale>;
}

/** The group of an apiVersion ("apps/v1" → apps, "v1" → core); throws on a malformed one. */
export function groupOf(apiVersion: string | undefined): { group: string; version: string } {
  const v = apiVersion ?? '';
  if (!v) return { group: '', version: '' };
  const parts = v.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  throw new Error(`unexpected GroupVersion string: ${v}`);
}

export class RegistryScaleClient implements ScaleClient {
  constructor(
    private readonly client: Client,
    private readonly registry: ResourceRegistry,
  ) {}

  resolve(ref: TargetRef): ResourceType {
    const { group, version } = groupOf(ref.apiVersion);
    const kind = ref.kind ?? '';
    const defs = this.registry.all().filter((d) => d.group === group && d.kind === kind);
    if (!defs.length) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    const def = defs.find((d) => d.version === version && d.subresources?.scale) ?? defs.find((d) => d.subresources?.scale) ?? defs[0]!;
    return { group: def.group, version: def.version, resource: def.plural, namespaced: def.namespaced, kind: def.kind };
  }

  getScale(type: ResourceType, namespace: string, name: string): Promise<Scale> {
    return this.client.resource(type).getScale(name, namespace);
  }

  updateScale(type: ResourceType, namespace: string, scale: Scale): Promise<Scale> {
    return this.client.resource(type).updateScale(scale.metadata?.name ?? '', scale, { namespace });
  }
}
