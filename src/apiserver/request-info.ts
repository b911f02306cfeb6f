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

/** The parts of a request's URL the server reads. */
export interface RequestUrl {
  pathname: string;
  searchParams: URLSearchParams;
}

const urls = new WeakMap<IncomingMessage, RequestUrl>();

/**
 * A path that URL parsing would leave as it is: no dot segments (plain or escaped), no
 * backslash, no `//` start (a host), nothing it would escape; and no fragment after it.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@/%.]*$/;
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/**
 * The request's URL, parsed once however many filters ask (metrics, flow control, the
 * handler). A plain path (nearly every API request) is split at `?` without the WHATWG
 * parser, which would give the same pathname and query at several times the cost.
 */
export function requestUrl(req: IncomingMessage): RequestUrl {
  let url = urls.get(req);
  if (!url) {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    url =
      PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && !/[#\s]/.test(query)
        ? { pathname: path, searchParams: new URLSearchParams(query) }
        : new URL(raw, 'https://localhost');
    urls.set(req, url);
  }
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
