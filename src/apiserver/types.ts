// The apiserver's request and result shapes, independent of HTTP, so that the
// in-process transport (components inside the skiff process) and the HTTPS
// server share every handler.
import type { KObject, ResourceDef } from '../api/types.js';

export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  /** Extra attributes (authentication.k8s.io/pod-name, scopes…), as user.Info.GetExtra. */
  extra?: Record<string, string[]>;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ApiRequest {
  verb: Verb;
  group: string;
  version: string;
  /** Plural resource name, e.g. "deployments". */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  query: URLSearchParams;
  /** The decoded body (create/update/delete options) or, for patch, the patch document. */
  body?: unknown;
  /** For patch: the patch content type, e.g. application/merge-patch+json. */
  patchType?: string;
  user: UserInfo;
  /** The client's User-Agent; its first segment names the default field manager. */
  userAgent?: string;
}

/** What a handler answers: a status code and an object (or a Status). */
export interface ApiResult {
  status: number;
  body: KObject;
  /** The resource the body belongs to (for table conversion); absent for Status bodies. */
  def?: ResourceDef;
  /** True when body is a list of `def` objects. */
  list?: boolean;
  /** Texts for `Warning: 299` response headers (field validation Warn). */
  warnings?: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

/** Where a watch handler delivers events. `line`, when given, is the event already serialised as one JSON line. */
export interface WatchSink {
  /**
   * `line`, when given, makes the event's serialised form (shared by every watcher: never
   * modified); called only by sinks that write text, so in-process watchers skip the JSON.
   */
  send(ev: WatchEvent, line?: () => string | Buffer): void;
  /** The watch ended from the server side (timeout, shutdown, error already sent). */
  end(): void;
}

export interface WatchHandle {
  stop(): void;
}
