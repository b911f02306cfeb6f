// The resource quota controller: recomputes each ResourceQuota's status.used from what the
// namespace holds (admission charges creates at once; this corrects for deletes, finished
// pods and creates that failed after being charged).
import type { ResourceQuota, ResourceQuotaStatus } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../api/types.js';
import { parseQuantity } from '../api/core/validate-helpers.js';
import { countName, formatQuantity, objectUsage } from '../api/core/quota-usage.js';
import type { SharedInformer } from '../client/informer.js';
import { resources, type ResourceType } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { ControllerContext } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

/** Kubernetes re-checks every quota every 5 minutes; deletes of watched kinds requeue at once. */
const RESYNC_MS = 5 * 60_000;

const WATCHED: ResourceType[] = [resources.pods, resources.services, resources.configMaps, resources.secrets, resources.persistentVolumeClaims];

export class ResourceQuotaController extends QueueController {
  readonly name = 'resourcequota';
  private readonly quotas: SharedInformer<ResourceQuota>;
  private readonly watched = new Map<string, SharedInformer<KObject>>();

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'resource quota sync failed', keyField: 'quota' });
    this.quotas = ctx.informers.informerFor(resources.resourceQuotas);
    const enqueue = (q: ResourceQuota) => this.queue.add(`${q.metadata!.namespace}/${q.metadata!.name}`);
    this.quotas.addEventHandler(
      {
        onAdd: enqueue,
        onUpdate: (o, n) => {
          if (JSON.stringify(o.spec) !== JSON.stringify(n.spec) || !n.status?.hard) enqueue(n);
        },
      },
      { resyncPeriodMs: RESYNC_MS },
    );
    const forNamespace = (obj: KObject) => {
      for (const q of this.quotas.store.list()) if (q.metadata?.namespace === obj.metadata?.namespace) enqueue(q);
    };
    for (const t of WATCHED) {
      const inf = ctx.informers.informerFor(t) as SharedInformer<KObject>;
      this.watched.set(countName({ group: t.group, plural: t.resource }), inf);
      inf.addEventHandler({
        onDelete: forNamespace,
        // A pod that finishes stops costing; one that is created was charged by admission.
        onUpdate: (o, n) => {
          if (t === resources.pods && o.status?.phase !== n.status?.phase) forNamespace(n);
        },
      });
    }
  }

  private async objectsOf(group: string, plural: string, namespace: string): Promise<KObject[]> {
    const inf = this.watched.get(countName({ group, plural }));
    if (inf) return inf.store.list().filter((o) => o.metadata?.namespace === namespace);
    const def = this.ctx.registry.all().find((d) => d.group === group && d.plural === plural && d.namespaced);
    if (!def) return [];
    const list = await this.ctx.client.resource({ group, version: def.version, resource: plural, namespaced: true, kind: def.kind }).listAll({ namespace });
    return list.items;
  }

  async reconcile(key: string): Promise<void> {
    const quota = this.quotas.store.get(key);
    if (!quota) return;
    const ns = quota.metadata!.namespace!;
    const hard: Record<string, string> = { ...(quota.spec?.hard ?? {}) } as Record<string, string>;
    const totals = new Map<string, bigint>(Object.keys(hard).map((r) => [r, 0n]));
    // Which kinds of object matter: every quota resource maps to one kind.
    const kinds = new Map<string, { group: string; plural: string }>();
    for (const r of Object.keys(hard)) {
      const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(r);
      if (m) kinds.set(`${m[2] ?? ''}/${m[1]}`, { group: m[2] ?? '', plural: m[1]! });
      else if (r === 'pods' || /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(r) || r === 'cpu' || r === 'memory')
        kinds.set('/pods', { group: '', plural: 'pods' });
      else if (r.startsWith('services')) kinds.set('/services', { group: '', plural: 'services' });
      else if (r === 'requests.storage' || r.endsWith('persistentvolumeclaims') || r.endsWith('/requests.storage'))
        kinds.set('/persistentvolumeclaims', { group: '', plural: 'persistentvolumeclaims' });
      else if (['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas'].includes(r)) kinds.set(`/${r}`, { group: '', plural: r });
    }
    for (const k of kinds.values()) {
      for (const obj of await this.objectsOf(k.group, k.plural, ns)) {
        for (const [r, v] of objectUsage(k, obj)) if (totals.has(r)) totals.set(r, totals.get(r)! + v);
      }
    }
    const used: Record<string, string> = {};
    for (const [r, v] of totals) used[r] = formatQuantity(v, hard[r]);
    const same = (a: Record<string, string> | undefined, b: Record<string, string>) =>
      !!a &&
      Object.keys(a).length === Object.keys(b).length &&
      Object.entries(b).every(([k, v]) => a[k] !== undefined && (parseQuantity(a[k]) ?? -1n) === (parseQuantity(v) ?? -2n));
    if (same(quota.status?.hard as Record<string, string>, hard) && same(quota.status?.used as Record<string, string>, used)) return;
    const status: ResourceQuotaStatus = { hard, used };
    try {
      await this.ctx.client.resource(resources.resourceQuotas).updateStatus({ ...quota, status }, { namespace: ns });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const resourceQuotaController = (ctx: ControllerContext): ResourceQuotaController => new ResourceQuotaController(ctx);
