// A live collection: one list, then a watch from its resourceVersion; events change the
// map in place and the page hears about it at most once a frame. A 410 Gone (history
// compacted) or a broken stream starts over with a fresh list, as client-go's reflector does.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, eachLine, type KList, type KObj, keyOf, raw, session } from './api.js';

export interface Collection {
  items: KObj[];
  loading: boolean;
  error?: unknown;
}

export function watchCollection(path: string, query: Record<string, string | undefined>, onChange: (c: Collection) => void): () => void {
  const abort = new AbortController();
  const items = new Map<string, KObj>();
  let error: unknown;
  let loading = true;
  let scheduled = false;
  const publish = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (!abort.signal.aborted) onChange({ items: [...items.values()], loading, error });
    });
  };

  async function run(): Promise<void> {
    let backoff = 500;
    while (!abort.signal.aborted) {
      try {
        const list = await call<KList>(path, { query, signal: abort.signal });
        items.clear();
        for (const o of list.items) items.set(keyOf(o), o);
        loading = false;
        error = undefined;
        publish();
        let rv = list.metadata.resourceVersion ?? '';
        // Watch until the server ends the stream, then go on from the last version seen.
        for (;;) {
          const res = await raw(path, {
            query: { ...query, watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(240 + Math.floor(Math.random() * 60)) },
            signal: abort.signal,
          });
          let gone = false;
          await eachLine(res, (line) => {
            if (!line.trim() || gone) return;
            const ev = JSON.parse(line) as { type: string; object: KObj & { code?: number } };
            if (ev.type === 'ERROR') {
              gone = true;
              if (ev.object.code !== 410) error = new ApiError(ev.object.code ?? 500, ev.object.reason ?? '', ev.object.message ?? 'watch failed');
              return;
            }
            if (ev.object.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
            if (ev.type === 'BOOKMARK') return;
            if (ev.type === 'DELETED') items.delete(keyOf(ev.object));
            else items.set(keyOf(ev.object), ev.object);
            publish();
          });
          if (gone) break;
        }
        backoff = 500;
      } catch (err) {
        if (abort.signal.aborted) return;
        error = err;
        loading = false;
        publish();
        // A refusal (403, 404, bad selector) will not change by itself: stop and show it.
        if (err instanceof ApiError && err.code >= 400 && err.code < 500 && err.code !== 410 && err.code !== 429) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }
  void run();
  return () => abort.abort();
}

interface Shared {
  last: Collection;
  listeners: Set<(c: Collection) => void>;
  stop: () => void;
  idle?: ReturnType<typeof setTimeout>;
}

// One list+watch per collection for the whole page, as client-go's shared informers: the
// overview and the pod list (or two panels) watching the same pods share it, and going from
// one page to the next finds it already listed. Kept only a moment after its last reader
// leaves (the next view subscribes after it has rendered): each watch holds one of the six
// HTTP/1.1 connections a browser opens to the server, and idle ones would starve the rest.
const shared = new Map<string, Shared>();
const KEEP_IDLE_MS = 1_000;

function subscribe(path: string, query: Record<string, string | undefined>, onChange: (c: Collection) => void): () => void {
  // Keyed by the credentials too: what one user may read is never shown to the next.
  const key = `${session.token() ?? 'client-certificate'}\n${path}?${JSON.stringify(query)}`;
  let s = shared.get(key);
  if (!s) {
    const entry: Shared = { last: { items: [], loading: true }, listeners: new Set(), stop: () => {} };
    entry.stop = watchCollection(path, query, (c) => {
      entry.last = c;
      for (const l of entry.listeners) l(c);
    });
    shared.set(key, entry);
    s = entry;
  }
  const entry = s;
  clearTimeout(entry.idle);
  entry.listeners.add(onChange);
  if (!entry.last.loading || entry.last.error) onChange(entry.last);
  return () => {
    entry.listeners.delete(onChange);
    if (entry.listeners.size) return;
    // A refusal is asked again next time, not remembered.
    if (entry.last.error) return drop(key, entry);
    entry.idle = setTimeout(() => {
      if (!entry.listeners.size) drop(key, entry);
    }, KEEP_IDLE_MS);
  };
}

function drop(key: string, entry: Shared): void {
  clearTimeout(entry.idle);
  entry.stop();
  if (shared.get(key) === entry) shared.delete(key);
}

/** Stops every shared watch: on sign-out, so nothing read as this user outlives the session. */
export function closeCollections(): void {
  for (const [key, entry] of shared) drop(key, entry);
}

/** The live items of a collection, for a component. */
export function useCollection(path: string | null, query: Record<string, string | undefined> = {}): Collection {
  const [state, setState] = useState<Collection>({ items: [], loading: true });
  const qkey = JSON.stringify(query);
  useEffect(() => {
    if (!path) return;
    setState({ items: [], loading: true });
    return subscribe(path, query, setState);
  }, [path, qkey]);
  return state;
}
