// The labels kube-apiserver puts on a request's series: the verb as it reports it (LIST,
// WATCH, APPLY… rather than the HTTP method), and the scope of the object addressed.
import type { ResourceRequestInfo } from '../request-info.js';

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

const VERBS: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

// Subresources kube-apiserver serves; any other name in a URL is labelled '' (it answers 404).
const SUBRESOURCES = new Set([
  'status',
  'scale',
  'binding',
  'eviction',
  'log',
  'exec',
  'attach',
  'portforward',
  'proxy',
  'ephemeralcontainers',
  'resize',
  'approval',
  'finalize',
  'token',
]);

const APPLY_PATCH = 'application/apply-patch+yaml';

/** `info` undefined: a non-resource request (discovery, health, /metrics), labelled by its method only. */
export function requestLabels(method: string, info: ResourceRequestInfo | undefined, query: URLSearchParams, contentType: string | undefined): RequestLabels {
  if (!info) return { verb: method, dry_run: '', group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver' };
  let verb = VERBS[info.verb] ?? method;
  if (verb === 'PATCH' && (contentType ?? '').split(';')[0]!.trim() === APPLY_PATCH) verb = 'APPLY';
  // Streams (exec, attach, port-forward, proxy) are CONNECT in kube-apiserver's terms.
  if (isConnectSubresource(info)) verb = 'CONNECT';
  const scope = info.name || info.verb === 'create' ? 'resource' : info.namespace ? 'namespace' : 'cluster';
  return {
    verb,
    dry_run: query.getAll('dryRun').includes('All') ? 'All' : '',
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: info.subresource && SUBRESOURCES.has(info.subresource) ? info.subresource : '',
    scope,
    component: 'apiserver',
  };
}

function isConnectSubresource(info: ResourceRequestInfo): boolean {
  const s = info.subresource;
  return s === 'exec' || s === 'attach' || s === 'portforward' || s === 'proxy';
}

/** Requests the max-in-flight filter leaves out: watches and streams, which last as long as the client wants. */
export function isLongRunning(labels: RequestLabels, info: ResourceRequestInfo | undefined, query: URLSearchParams): boolean {
  if (labels.verb === 'WATCH' || labels.verb === 'CONNECT') return true;
  return info?.subresource === 'log' && (query.get('follow') === 'true' || query.get('follow') === '1');
}
