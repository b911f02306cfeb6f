// The APIs other components serve through this apiserver (metrics.k8s.io today): requests
// for their groups are handed over as they are, and discovery lists them beside the
// built-in groups, as kube-aggregator merges APIServices into /apis.
import type { AggregatedApiServer } from '../api/aggregated.js';
import type { ApiRequest, ApiResult } from './types.js';
import { StatusError } from './status.js';

export class AggregatedApis {
  private readonly byGroup = new Map<string, AggregatedApiServer>();

  add(api: AggregatedApiServer): void {
    this.byGroup.set(api.group, api);
  }

  remove(group: string): void {
    this.byGroup.delete(group);
  }

  /** The server that owns this request's group/version, if it is one of the aggregated ones. */
  owner(group: string, version: string): AggregatedApiServer | undefined {
    const api = this.byGroup.get(group);
    return api?.versions.includes(version) ? api : undefined;
  }

  /** Those that are available, for discovery. */
  list(): AggregatedApiServer[] {
    return [...this.byGroup.values()].filter((a) => a.available());
  }

  async handle(api: AggregatedApiServer, req: ApiRequest): Promise<ApiResult> {
    if (!api.available())
      throw new StatusError(503, 'ServiceUnavailable', `the server is currently unable to handle the request (${req.verb} ${req.resource}.${api.group})`);
    const r = await api.handle({
      verb: req.verb,
      version: req.version,
      resource: req.resource,
      subresource: req.subresource,
      namespace: req.namespace,
      name: req.name,
      query: req.query,
      user: { username: req.user.username, groups: req.user.groups },
    });
    if (r.status >= 400 && r.body.kind === 'Status') {
      const b = r.body as { reason?: string; message?: string; details?: Record<string, unknown> };
      throw new StatusError(r.status, b.reason ?? 'InternalError', b.message ?? '', b.details as never);
    }
    return { status: r.status, body: r.body, list: Array.isArray((r.body as { items?: unknown }).items) ? true : undefined };
  }
}
