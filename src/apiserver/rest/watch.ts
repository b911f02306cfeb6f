// WATCH: initial state (when asked), then every change, with selectors applied per watcher
// the way Kubernetes does (an object leaving a selector is a DELETED event), bookmarks,
// timeouts, and 410 Expired for a resourceVersion whose history is gone.
import type { KObject, ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { StoreError } from '../../storage/store.js';
import { errors, type StatusError } from '../status.js';
import type { WatchEventType, WatchHandle, WatchSink } from '../types.js';
import type { CachedEvent, CacheWatcher } from '../watch-cache.js';
import { watchLine } from '../watch-line.js';
import { queryFlag } from '../../util/query-bool.js';
import { buildFilter } from './filter.js';
import { listPrefix } from './keys.js';
import { tooLargeResourceVersion, validateListOptions } from './list.js';
import type { ResourceStorage } from './resource-store.js';

const BOOKMARK_INTERVAL_MS = 60_000;
const BOOKMARK_BEFORE_DEADLINE_MS = 2_000;
const MIN_TIMEOUT_S = 1800;

function parseRV(s: string): number {
  if (!/^\d+$/.test(s)) throw errors.badRequest(`invalid resourceVersion value: ${JSON.stringify(s)}`);
  return Number(s);
}

export async function startWatch(
  rs: ResourceStorage,
  def: ResourceDef,
  namespace: string | undefined,
  query: URLSearchParams,
  sink: WatchSink,
): Promise<WatchHandle> {
  const binding = rs.binding(def);
  const keyPrefix = listPrefix(def, binding, namespace);
  const filter = buildFilter(def, query);
  const rvParam = query.get('resourceVersion') ?? '';
  const bookmarks = queryFlag(query, 'allowWatchBookmarks');
  const sendInitialParam = query.get('sendInitialEvents');
  const sendInitial = sendInitialParam === null ? null : String(queryFlag(query, 'sendInitialEvents'));
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutS = timeoutParam ? Number(timeoutParam) : MIN_TIMEOUT_S * (1 + Math.random());
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw errors.badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  validateListOptions(query, true);

  // The namespace is already in the key prefix; selectors are the rest.
  const matches = (o: KObject | undefined): boolean => !!o && (!filter || filter(o));
  const out = (o: KObject): KObject => (binding.identity ? o : binding.fromStorage(o));
  let lastRV = 0;
  let closed = false;
  const send = (type: WatchEventType, obj: KObject) => {
    const o = out(obj);
    sink.send({ type, object: o }, binding.identity ? () => watchLine(type, o) : undefined);
  };
  const bookmark = (extra?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(Math.max(lastRV, rs.cache.revision)) };
    if (extra) metadata.annotations = extra;
    sink.send({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: apiVersionOf(def), metadata } });
  };

  const watcher: CacheWatcher = {
    deliver(ev: CachedEvent) {
      if (closed || !ev.key.startsWith(keyPrefix)) return;
      lastRV = ev.revision;
      const now = ev.type === 'put' && matches(ev.object);
      const before = !ev.created && matches(ev.prev);
      if (ev.type === 'delete') {
        if (before || (!ev.prev && matches(ev.object))) send('DELETED', ev.object);
      } else if (now && before) send('MODIFIED', ev.object);
      else if (now) send('ADDED', ev.object);
      else if (before) {
        // Left the selector: like Kubernetes' cacher, the previous (matching) object at this event's revision.
        const prev = ev.prev!;
        send('DELETED', { ...prev, metadata: { ...prev.metadata, resourceVersion: String(ev.revision) } });
      }
    },
    terminate(err?: Error) {
      if (closed) return;
      // History gone under a running watch (etcd compacted it) is 410, so clients relist.
      if (err)
        sink.send({
          type: 'ERROR',
          object: (err instanceof StoreError && err.code === 'Compacted' ? errors.expired(err.message) : errors.internal(err)).toStatus(),
        });
      stop();
      sink.end();
    },
  };

  let unregister: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = () => {
    closed = true;
    unregister?.();
    for (const t of timers) clearTimeout(t);
  };

  const fail = (err: StatusError) => {
    sink.send({ type: 'ERROR', object: err.toStatus() });
    closed = true;
    sink.end();
  };

  if (rvParam === '' || rvParam === '0' || sendInitial === 'true') {
    if (rvParam === '' || sendInitial === 'true') await rs.cache.sync();
    if (rvParam !== '' && rvParam !== '0') await rs.cache.waitFor(parseRV(rvParam)).catch(() => undefined);
    if (sendInitial !== 'false') {
      const { keys, objects } = rs.cache.list(binding.prefix, keyPrefix);
      for (const k of keys) {
        const o = objects.get(k)!;
        if (!filter || filter(o)) send('ADDED', o);
      }
    }
    lastRV = rs.cache.revision;
    const reg = rs.cache.watch(binding.prefix, rs.cache.revision, watcher);
    unregister = reg || undefined;
    if (sendInitial === 'true' && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const from = parseRV(rvParam);
    if (from > rs.cache.revision) {
      try {
        await rs.cache.waitFor(from);
      } catch (err) {
        fail(tooLargeResourceVersion((err as Error).message));
        return { stop };
      }
    }
    const compacted = await rs.store.compactedRevision();
    if (from < compacted) {
      fail(errors.expired(`too old resource version: ${from} (${compacted})`));
      return { stop };
    }
    lastRV = from;
    const reg = rs.cache.watch(binding.prefix, from, watcher);
    if (reg) unregister = reg;
    else {
      try {
        unregister = rs.cache.watchFromStore(binding.prefix, from, watcher);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Compacted') {
          const compacted = await rs.store.compactedRevision();
          fail(errors.expired(`too old resource version: ${from} (${compacted})`));
          return { stop };
        }
        throw err;
      }
    }
  }

  if (bookmarks) {
    // As Kubernetes' cacher: roughly every minute, and once 2 s before the watch's deadline so a
    // client always leaves with a fresh resourceVersion to resume from.
    const deadline = Date.now() + timeoutS * 1000;
    const schedule = () => {
      const now = Date.now();
      const beforeEnd = deadline - BOOKMARK_BEFORE_DEADLINE_MS;
      const next = beforeEnd > now ? Math.min(now + BOOKMARK_INTERVAL_MS, beforeEnd) : now + BOOKMARK_INTERVAL_MS;
      timers[0] = setTimeout(tick, next - now);
      timers[0].unref?.();
    };
    const tick = () => {
      if (closed) return;
      bookmark();
      schedule();
    };
    schedule();
  }
  const end = setTimeout(() => {
    if (closed) return;
    stop();
    sink.end();
  }, timeoutS * 1000);
  end.unref?.();
  timers.push(end);
  return { stop };
}
