// Keeps the flow-control objects and the dispatcher in step, as kube-apiserver's APF
// bootstrap and config controllers do: the mandatory objects are created and kept (spec
// restored while their autoupdate annotation is "true"); the suggested ones are created
// at start when missing and kept up to date under the same annotation; each FlowSchema's
// Dangling condition says whether its priority level exists; the dispatcher is
// reconfigured from the objects whenever they change.
import type { ResourceRegistry } from '../../api/registry.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import type { ResourceStorage } from '../rest/resource-store.js';
import type { WatchCache } from '../watch-cache.js';
import { AUTOUPDATE_ANNOTATION, MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS, SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from './bootstrap.js';
import type { FlowControl } from './dispatcher.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const FS_PREFIX = '/registry/flowschemas/';
const PL_PREFIX = '/registry/prioritylevelconfigurations/';
/** How often objects are re-read (the dispatcher is also refreshed on every change seen then). */
const RESYNC_MS = 1_000;
/**
 * How often the mandatory objects are checked and restored, as kube-apiserver's bootstrap
 * ensurer does (once a minute): every check compares each object's spec with a defaulted copy.
 */
const ENSURE_MS = 60_000;

export class FlowControlConfigController {
  private timer?: NodeJS.Timeout;
  private lastSeen = '';
  private readonly fsDef?: ResourceDef;
  private readonly plDef?: ResourceDef;

  constructor(
    private readonly fc: FlowControl,
    private readonly storage: ResourceStorage,
    private readonly cache: WatchCache,
    registry: ResourceRegistry,
    private readonly log?: (msg: string, fields?: Record<string, unknown>) => void,
  ) {
    this.fsDef = registry.lookup(GROUP, 'v1', 'flowschemas');
    this.plDef = registry.lookup(GROUP, 'v1', 'prioritylevelconfigurations');
  }

  async start(): Promise<void> {
    await this.ensure(true);
    await this.sync();
    let ensuredAt = Date.now();
    const again = () => {
      this.timer = setTimeout(() => {
        const ensureNow = Date.now() - ensuredAt >= ENSURE_MS;
        if (ensureNow) ensuredAt = Date.now();
        (ensureNow ? this.ensure(false) : Promise.resolve())
          .then(() => this.sync())
          .catch((err) => this.log?.('flow control config sync failed', { error: (err as Error).message }))
          .finally(() => this.timer && again());
      }, RESYNC_MS);
      this.timer.unref();
    };
    again();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private objects(prefix: string): KObject[] {
    const { keys, objects } = this.cache.list(prefix, prefix);
    return keys.map((k) => objects.get(k)!).filter(Boolean);
  }

  /** Creates missing bootstrap objects and restores the spec of auto-updated ones. */
  private async ensure(atStart: boolean): Promise<void> {
    if (!this.fsDef || !this.plDef) return;
    const sets: [ResourceDef, string, KObject[]][] = [
      [this.plDef, PL_PREFIX, atStart ? [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS] : MANDATORY_PRIORITY_LEVELS],
      [this.fsDef, FS_PREFIX, atStart ? [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS] : MANDATORY_FLOW_SCHEMAS],
    ];
    for (const [def, prefix, wanted] of sets)
      for (const want of wanted) {
        const name = want.metadata!.name!;
        const cur = this.cache.get(`${prefix}${name}`);
        try {
          if (!cur) await this.storage.create(def, undefined, structuredClone(want));
          else if (cur.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'true' && !sameSpec(def, cur, want)) {
            const next = { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, spec: structuredClone(want.spec) };
            await this.storage.update(def, undefined, name, next, undefined);
          }
        } catch (err) {
          // Another server sharing the store wrote it first; the next pass converges.
          if ((err as { code?: number }).code !== 409) throw err;
        }
      }
  }

  private async sync(): Promise<void> {
    const schemas = this.objects(FS_PREFIX);
    const levels = this.objects(PL_PREFIX);
    const seen = [...schemas, ...levels].map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).join(',');
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    this.fc.configure(schemas, levels);
    await this.updateDangling(schemas, new Set(levels.map((l) => l.metadata?.name)));
  }

  private async updateDangling(schemas: KObject[], levels: Set<string | undefined>): Promise<void> {
    if (!this.fsDef) return;
    for (const s of schemas) {
      const pl = String(s.spec?.priorityLevelConfiguration?.name ?? '');
      const dangling = !levels.has(pl);
      const want = {
        type: 'Dangling',
        status: dangling ? 'True' : 'False',
        reason: dangling ? 'NotFound' : 'Found',
        message: dangling
          ? `This FlowSchema references the PriorityLevelConfiguration object named "${pl}" but there is no such object`
          : `This FlowSchema references the PriorityLevelConfiguration object named "${pl}" and it exists`,
      };
      const conds: any[] = s.status?.conditions ?? [];
      const cur = conds.find((c) => c?.type === 'Dangling');
      if (cur && cur.status === want.status && cur.message === want.message) continue;
      const next = {
        ...s,
        metadata: { ...s.metadata, resourceVersion: undefined },
        status: {
          ...s.status,
          conditions: [...conds.filter((c) => c?.type !== 'Dangling'), { ...want, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
        },
      };
      try {
        await this.storage.update(this.fsDef, undefined, s.metadata!.name!, next, 'status');
      } catch (err) {
        // Deleted or changed meanwhile: the next pass sees the new object.
        const code = (err as { code?: number }).code;
        if (code !== 404 && code !== 409) throw err;
      }
    }
  }
}

function sameSpec(def: ResourceDef, cur: KObject, want: KObject): boolean {
  const w = structuredClone(want);
  def.defaults?.(w);
  return JSON.stringify(sortKeys(cur.spec)) === JSON.stringify(sortKeys(w.spec));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
