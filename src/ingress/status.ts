// status.loadBalancer.ingress of served Ingresses: each node merges its own addresses in and
// takes them out when it stops serving one (or stops), so no node needs the list of the
// others and a node that leaves removes only itself. Writes go through the status
// subresource with the resourceVersion read, retried on conflict with a fresh read.
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type { Client } from '../client/client.js';
import { retryOnConflict } from '../client/client.js';
import { isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';

const key = (i: Ingress) => `${i.metadata?.namespace ?? 'default'}/${i.metadata?.name ?? ''}`;

export class IngressStatusWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly ips: readonly string[],
    private readonly log: Logger,
  ) {}

  private has(ing: Ingress): boolean[] {
    const listed = new Set((ing.status?.loadBalancer?.ingress ?? []).map((e) => e.ip));
    return this.ips.map((ip) => listed.has(ip));
  }

  /** Adds this node's addresses to served Ingresses and removes them from the others. */
  sync(all: readonly Ingress[], served: ReadonlySet<string>): void {
    for (const ing of all) {
      const want = served.has(key(ing));
      const has = this.has(ing);
      if (want ? has.every(Boolean) : !has.some(Boolean)) continue;
      this.enqueue(ing, want);
    }
  }

  async stop(all: readonly Ingress[]): Promise<void> {
    for (const ing of all) if (this.has(ing).some(Boolean)) this.enqueue(ing, false);
    await this.chain;
  }

  private enqueue(ing: Ingress, want: boolean): void {
    const ns = ing.metadata?.namespace ?? 'default';
    const name = ing.metadata?.name ?? '';
    this.chain = this.chain
      .then(() =>
        retryOnConflict(async () => {
          const cur = await this.client.ingresses.get(name, ns);
          const list = (cur.status?.loadBalancer?.ingress ?? []).filter((e) => !e.ip || !this.ips.includes(e.ip));
          if (want) list.push(...this.ips.map((ip) => ({ ip })));
          list.sort((a, b) => (a.ip ?? a.hostname ?? '').localeCompare(b.ip ?? b.hostname ?? ''));
          const prior = JSON.stringify(cur.status?.loadBalancer?.ingress ?? []);
          if (prior === JSON.stringify(list)) return;
          await this.client.ingresses.updateStatus({ ...cur, status: { ...cur.status, loadBalancer: { ingress: list } } });
        }),
      )
      .catch((err) => {
        if (!isNotFound(err)) this.log.warn('could not write ingress status', { ingress: `${ns}/${name}`, error: (err as Error).message });
      });
  }
}
