// The contract between the apiserver and an API served by someone else, shaped like
// kube-aggregator's: one object owns a group (all its versions), says which resources it
// serves (for discovery) and answers requests for them. Today built-in components
// register such objects with the apiserver directly; an APIService will point at them
// once the aggregation layer exists.
import type { KObject } from './types.js';

export interface AggregatedRequest {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  query: URLSearchParams;
  user: { username: string; groups: string[] };
}

/** Errors are answered, not thrown: a Status body with its code. */
export interface AggregatedResult {
  status: number;
  body: KObject;
}

/** metav1.APIResource, the fields discovery shows. */
export interface AggregatedResource {
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
}

export interface AggregatedApiServer {
  readonly group: string;
  /** Preferred first. */
  readonly versions: readonly string[];
  resources(version: string): AggregatedResource[];
  /** False while it cannot answer (an APIService's Available=False): discovery leaves it out. */
  available(): boolean;
  handle(req: AggregatedRequest): Promise<AggregatedResult>;
}

/** A Status body, as an aggregated server answers failures. */
export function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): AggregatedResult {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code } };
}
