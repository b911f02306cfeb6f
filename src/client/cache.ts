// The informer's local copy of the cluster: objects by key plus secondary indexes.
// Node runs one JavaScript thread, and every mutation here is synchronous, so a reader
// never sees a half-applied change; that is all client-go's locking buys it.
import type { KObject } from '../api/types.js';

/** Maps an object to the index values it is filed under (e.g. its node name). */
export type IndexFunc<T> = (obj: T) => string[];

/** Built into every Indexer: objects by metadata.namespace ('' for cluster-scoped). */
export const NAMESPACE_INDEX = 'namespace';

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: unknown): string {
  const meta = (obj as KObject | undefined)?.metadata;
  if (!meta?.name) throw new TypeError('object has no metadata.name');
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** What consumers of a cache may do with it: read. */
export interface Store<T> {
  get(key: string): T | undefined;
  /** Shorthand for get(namespace ? `${namespace}/${name}` : name). */
  getByName(name: string, namespace?: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  /** Objects whose index function returned `value` for index `indexName`. */
  byIndex(indexName: string, value: string): T[];
  indexKeys(indexName: string, value: string): string[];
  /** Adds indexes, filled at once from the current contents. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void;
  readonly size: number;
}

export class Indexer<T> implements Store<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  /** `onIndexError` hears about index functions that throw; the object is then left out of that index. */
  constructor(
    indexers: Record<string, IndexFunc<T>> = {},
    private readonly onIndexError?: (err: unknown) => void,
  ) {
    this.addIndexers({ [NAMESPACE_INDEX]: (o: T) => [(o as KObject)?.metadata?.namespace ?? ''], ...indexers });
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index named ${JSON.stringify(indexName)}`);
    return [...(index.get(value) ?? [])];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  /**
   * Adding a name that exists is an error unless it is the very same function, so two
   * controllers sharing an informer can both ask for the index they need.
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.indexers.get(name);
      if (existing === fn) continue;
      if (existing) throw new Error(`index ${JSON.stringify(name)} already exists with a different function`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) this.fileUnder(index, fn, key, obj);
    }
  }

  /** Inserts or replaces; returns the previous object. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    if (old !== undefined) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.fileUnder(this.indices.get(name)!, fn, key, obj);
    return old;
  }

  /** Removes; returns the removed object. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private values(fn: IndexFunc<T>, obj: T): string[] {
    try {
      return fn(obj) ?? [];
    } catch (e) {
      this.onIndexError?.(e);
      return [];
    }
  }

  private fileUnder(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, obj: T): void {
    for (const v of this.values(fn, obj)) {
      let keys = index.get(v);
      if (!keys) index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  // Index functions are assumed deterministic: the old object yields the values it was filed under.
  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of this.values(fn, obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}
