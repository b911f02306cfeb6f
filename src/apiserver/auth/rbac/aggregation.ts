// The ClusterRole aggregation controller: a ClusterRole with an aggregationRule gets as its
// rules the union of the rules of every ClusterRole its selectors match (admin, edit and
// view are built this way), kept current as those roles change.
import type { KObject } from '../../../api/types.js';
import { labelSelectorFromSpec, type LabelSelector } from '../../../api/selectors.js';
import { jsonEqual } from '../../../api/validation.js';
import { clusterroles } from '../../../api/rbac/index.js';
import type { ResourceStorage } from '../../rest/resource-store.js';
import { CacheFollower } from '../cache-follower.js';

const PREFIX = '/registry/clusterroles/';
const DEBOUNCE_MS = 20;

function selectors(role: KObject): LabelSelector[] {
  const out: LabelSelector[] = [];
  for (const s of role.aggregationRule?.clusterRoleSelectors ?? []) {
    try {
      out.push(labelSelectorFromSpec(s));
    } catch {
      // An invalid selector selects nothing (validation refuses new ones).
    }
  }
  return out;
}

/** The rules an aggregated role should hold, given every ClusterRole. */
export function aggregatedRules(role: KObject, all: Iterable<KObject>): unknown[] {
  const sels = selectors(role);
  const sources = [...all]
    .filter((r) => r.metadata?.name !== role.metadata?.name && sels.some((s) => s.matches(r.metadata?.labels)))
    .sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : 1));
  const rules: unknown[] = [];
  for (const src of sources) for (const r of src.rules ?? []) if (!rules.some((x) => jsonEqual(x, r))) rules.push(r);
  return rules;
}

export class ClusterRoleAggregator {
  private readonly roles = new Map<string, KObject>();
  private readonly follower: CacheFollower;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;

  constructor(
    private readonly rs: ResourceStorage,
    private readonly log?: (msg: string, fields?: Record<string, unknown>) => void,
  ) {
    this.follower = new CacheFollower(rs.cache, PREFIX, {
      put: (k, o) => {
        this.roles.set(k, o);
        this.schedule();
      },
      remove: (k) => {
        this.roles.delete(k);
        this.schedule();
      },
      reset: () => this.roles.clear(),
    });
  }

  start(): void {
    this.follower.start();
    this.schedule();
  }

  stop(): void {
    this.follower.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  /** One pass over the aggregated roles; changes made meanwhile bring another pass. */
  async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (const role of [...this.roles.values()]) {
        if (!role.aggregationRule) continue;
        const rules = aggregatedRules(role, this.roles.values());
        if (jsonEqual(rules, role.rules ?? [])) continue;
        const name = role.metadata!.name as string;
        try {
          await this.rs.guaranteedUpdate(clusterroles, undefined, name, (cur) => {
            if (!cur?.aggregationRule) return null;
            const next = JSON.parse(JSON.stringify(cur));
            next.rules = rules;
            return next;
          });
        } catch (err) {
          this.log?.('clusterrole aggregation failed', { clusterrole: name, error: (err as Error).message });
        }
      }
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }
}
