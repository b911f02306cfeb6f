// The options and results of the typed client's calls: what a caller passes and gets back.
import type { StatusBody } from './transport.js';

export interface ListOptions {
  /** Omit to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version; omit for "now" (the server first sends ADDED for what exists). */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long; the stream then closes without error. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

/** ERROR events carry a Status (a 410 Expired means: re-list, this version is gone). */
export type TypedWatchEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; object: StatusBody };

export interface TypedWatchHandlers<T> {
  onEvent(ev: TypedWatchEvent<T>): void;
  onClose(err?: Error): void;
}

export interface WriteOptions {
  /** For namespaced resources; defaults to the object's metadata.namespace. */
  namespace?: string;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

export interface PatchOptions extends WriteOptions {
  /** Apply patches only: take ownership of fields other managers own. */
  force?: boolean;
  /** Patch a subresource, e.g. "status". */
  subresource?: string;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface DeleteOptions {
  namespace?: string;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ClientOptions {
  /** Field manager for apply patches that do not name one. */
  fieldManager?: string;
}
