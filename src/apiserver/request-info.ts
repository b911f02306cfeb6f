// URL → what is being asked, as Kubernetes' RequestInfoFactory reads it.
import type { IncomingMessage } from 'node:http';
import type { Verb } from './types.js';
import { queryFlag } from '../util/query-bool.js';
import { decodeSegment, invalidPathName } from './request-path.js';

export interface ResourceRequestInfo {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  verb: Verb;
}

// Path segments after /namespaces/<name>/ that are subresources of the namespace itself.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, Verb> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

/** Parses /api/v1/... and /apis/<group>/<version>/...; undefined for anything else. Throws 400 for escapes that do not decode and for `.`/`..` names. */
export function parseResourcePath(method: string, pathname: string, query: URLSearchParams): ResourceRequestInfo | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeSegment);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else return undefined;
  const version = rest[0]!;
  let cur = rest.slice(1);
  let watchPrefix = false;
  if (cur[0] === 'watch') {
    watchPrefix = true;
    cur = cur.slice(1);
  }
  let namespace: string | undefined;
  if (cur[0] === 'namespaces' && cur.length > 1) {
    namespace = cur[1];
    if (cur.length > 2 && !NAMESPACE_SUBRESOURCES.has(cur[2]!)) cur = cur.slice(2);
  }
  if (cur.length === 0 || cur.length > 3) return undefined;
  const [resource, name, subresource] = cur as [string, string?, string?];
  if (resource === 'namespaces' && group === '' && namespace && cur[0] === 'namespaces') {
    // /api/v1/namespaces/<name>[/status|/finalize] is the namespace object itself.
    return finish('namespaces', namespace, subresource, undefined);
  }
  return finish(resource, name, subresource, namespace);

  function finish(res: string, nm: string | undefined, sub: string | undefined, ns: string | undefined): ResourceRequestInfo {
    // `.`, `..` and names with '/' never reach a storage key (they would name another object).
    const bad = (nm !== undefined && invalidPathName('Name', nm)) || (ns !== undefined && invalidPathName('Namespace', ns));
    if (bad) throw bad;
    const watching = watchPrefix || queryFlag(query, 'watch');
    let verb: Verb;
    if (method === 'GET' || method === 'HEAD') verb = watching ? 'watch' : nm ? 'get' : 'list';
    else if (method === 'DELETE') verb = nm ? 'delete' : 'deletecollection';
    else verb = METHOD_VERBS[method] ?? 'get';
    return { group, version, namespace: ns, resource: res, name: nm, subresource: sub, verb };
  }
}

const urls = new WeakMap<IncomingMessage, URL>();

/** The request's URL, parsed once however many filters ask (metrics, flow control, the handler). */
export function requestUrl(req: IncomingMessage): URL {
  let url = urls.get(req);
  if (!url) urls.set(req, (url = new URL(req.url ?? '/', 'https://localhost')));
  return url;
}

const parsed = new WeakMap<IncomingMessage, { method: string; path: string; query: URLSearchParams; info?: ResourceRequestInfo; err?: unknown }>();

/**
 * parseResourcePath for a request, worked out once for the filters that each need it; the
 * result is shared, so it is not to be modified. Also throws what parseResourcePath throws.
 */
export function requestResourceInfo(req: IncomingMessage, method: string, path: string, query: URLSearchParams): ResourceRequestInfo | undefined {
  let p = parsed.get(req);
  if (!p || p.method !== method || p.path !== path || p.query !== query) {
    p = { method, path, query };
    try {
      p.info = parseResourcePath(method, path, query);
    } catch (err) {
      p.err = err;
    }
    parsed.set(req, p);
  }
  if (p.err) throw p.err;
  return p.info;
}
