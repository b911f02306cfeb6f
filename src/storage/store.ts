// The store is etcd-shaped on purpose: one global revision counter, keys under
// /registry/..., writes guarded by the revision a caller last saw, and watches that
// resume from any revision not yet compacted. Every backend (sqlite, memory, etcd)
// implements exactly this, so the apiserver never knows which one it talks to.

/** One stored key at one revision. `value` is the object's JSON, without resourceVersion. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this value; becomes metadata.resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Read the state as of this revision (0 or absent: current). */
  revision?: number;
  /** At most this many items (0 or absent: all). */
  limit?: number;
  /** Start strictly after this key (used for paging). */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list reflects. */
  revision: number;
  /** True when more keys match after the last returned item. */
  more: boolean;
  /** Number of keys after the returned ones, when cheaply known. */
  remaining?: number;
}

export type WatchEventType = 'put' | 'delete';

export interface StoreEvent {
  type: WatchEventType;
  /** For put: the new value. For delete: the deleted key with modRevision = the delete's revision and value = the last value. */
  kv: KeyValue;
  /** The value before this event, if there was one. */
  prevKv?: KeyValue;
  /** True when the put created the key. */
  created: boolean;
}

export interface Watcher {
  stop(): void;
}

/** Raised by create when the key exists, by update/delete when the revision guard fails or the key is missing. */
export class StoreError extends Error {
  constructor(
    readonly code: 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'Unavailable',
    message: string,
    /** The current value, on Conflict, so callers can retry without another read. */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface Store {
  /** Current value of a key, or null. */
  get(key: string): Promise<KeyValue | null>;
  /** Keys that start with `prefix`, in key order. Throws Compacted when `revision` is below the compacted revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys under a prefix. */
  count(prefix: string): Promise<number>;
  /** Creates a key that must not exist. Returns the new revision. */
  create(key: string, value: string): Promise<number>;
  /** Replaces a key whose modRevision must equal `expectedRevision`. Returns the new revision. */
  update(key: string, value: string, expectedRevision: number): Promise<number>;
  /** Deletes a key; when `expectedRevision` is given it must equal the key's modRevision. Returns the delete's revision and the removed value. */
  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }>;
  /**
   * Calls `onEvent` for every change under `prefix` with revision > `fromRevision`, in revision
   * order, first replaying retained history. Throws Compacted when fromRevision is too old.
   * `onError` is called if the watch can no longer continue (then no more events follow).
   */
  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher;
  /** The newest revision written. */
  currentRevision(): Promise<number>;
  /** The oldest revision that can still be read or watched from (history before it is gone). */
  compactedRevision(): Promise<number>;
  /** Drops history older than `revision` (superseded values and deletion records). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
  /**
   * True when the stored value of `key` should be written again even though the object is
   * unchanged (sealed under a key that no longer seals new writes), as Kubernetes' storage
   * transformers report "stale" data. Stores that do not transform values leave it out.
   */
  isStale?(key: string): Promise<boolean>;
}
