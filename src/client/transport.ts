// How a client reaches an apiserver. Two implementations: in-process (components inside
// the skiff process call the apiserver's handlers directly, no HTTP, no JSON) and HTTPS.
import type { KObject } from '../api/types.js';

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. /apis/apps/v1/namespaces/default/deployments/web */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Content type of the body; for PATCH it selects the patch type. Default application/json. */
  contentType?: string;
}

export interface ClientWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject;
}

export interface WatchHandlers {
  onEvent(ev: ClientWatchEvent): void;
  /** The stream ended; `err` when it ended abnormally (connection lost, non-2xx answer). */
  onClose(err?: Error): void;
}

export interface Transport {
  /** Resolves with the decoded response body; rejects with ApiError on a non-2xx answer. */
  request(opts: RequestOptions): Promise<any>;
  /** Opens a watch (the query should carry watch=1 or the path a watch URL). */
  watch(path: string, query: RequestOptions['query'], handlers: WatchHandlers): { stop(): void };
  close?(): void;
}

/** A Kubernetes Status carried by a failed request. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
  metadata?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: StatusBody,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  static fromStatus(code: number, body: unknown): ApiError {
    const s = body && typeof body === 'object' && (body as any).kind === 'Status' ? (body as StatusBody) : undefined;
    return new ApiError(code, s?.reason ?? 'Unknown', s?.message ?? `request failed with status ${code}`, s);
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
}
