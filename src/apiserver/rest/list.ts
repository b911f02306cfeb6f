// LIST with Kubernetes' resourceVersion semantics and limit/continue paging. Served from
// the watch cache when the requested state is the cache's; from the store's history when
// an exact older revision is asked for (a later page of a paged list, or Exact match).
import type { FieldError, KObject, ResourceDef } from '../../api/types.js';
import { fieldErr } from '../../api/validation.js';
import { StoreError } from '../../storage/store.js';
import { errors, StatusError } from '../status.js';
import { decode } from '../cached-decode.js';
import { buildFilter } from './filter.js';
import { listPrefix } from './keys.js';
import type { ResourceStorage } from './resource-store.js';

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  rv: number;
  start: string; // the last key returned
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return { rv: t.rv, start: t.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/** Kubernetes' NewTooLargeResourceVersionError: a 504 that client-go's reflector recognises by its cause. */
export function tooLargeResourceVersion(message: string): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: ${message}`, {
    retryAfterSeconds: 1,
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
  });
}

function parseRV(s: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(s)) throw errors.badRequest(`invalid ${what} value: ${JSON.stringify(s)}`);
  return Number(s);
}

/** Kubernetes' ValidateListOptions: a bad combination of list/watch options is 422 Invalid ListOptions. */
export function validateListOptions(query: URLSearchParams, watch: boolean): void {
  const match = query.get('resourceVersionMatch') ?? '';
  const rv = query.get('resourceVersion') ?? '';
  const cont = query.get('continue') ?? '';
  const sendInitial = query.get('sendInitialEvents');
  const F = 'resourceVersionMatch';
  const errs: FieldError[] = [];
  if (watch) {
    if (sendInitial !== null && match !== 'NotOlderThan')
      errs.push(fieldErr.forbidden(F, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (match) {
      if (sendInitial === null) errs.push(fieldErr.forbidden(F, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(fieldErr.notSupported(F, match, ['NotOlderThan']));
      if (cont) errs.push(fieldErr.forbidden(F, 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match) {
      if (!rv) errs.push(fieldErr.forbidden(F, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont) errs.push(fieldErr.forbidden(F, 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(fieldErr.notSupported(F, match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') errs.push(fieldErr.forbidden(F, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (sendInitial !== null) errs.push(fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errs.length) throw errors.invalid('meta.k8s.io', 'ListOptions', '', errs);
}

export async function listObjects(rs: ResourceStorage, def: ResourceDef, namespace: string | undefined, query: URLSearchParams): Promise<ListResult> {
  validateListOptions(query, false);
  const binding = rs.binding(def);
  const prefix = listPrefix(def, binding, namespace);
  const filter = buildFilter(def, query);
  const limitStr = query.get('limit');
  const rvParam = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue');
  // As kube-apiserver's cacher (v1.32): resourceVersion=0 is "any recent state", served whole
  // from the cache, and the limit is ignored. Paging it would send every page after the first
  // to the store at a past revision once anything is written, which on a large data dir made
  // informers' first lists take minutes.
  const wholeFromCache = rvParam === '0' && !cont && match !== 'Exact';
  const limit = limitStr && !wholeFromCache ? parseRV(limitStr, 'limit') : 0;
  if (limitStr && wholeFromCache) parseRV(limitStr, 'limit');

  let atRevision: number | undefined; // undefined: the cache's current state
  let startAfter: string | undefined;
  if (cont) {
    if (rvParam && rvParam !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
    const t = decodeContinue(cont);
    atRevision = t.rv;
    startAfter = t.start;
  } else if (match === 'Exact') {
    atRevision = parseRV(rvParam);
  } else if (rvParam === '') {
    await rs.cache.sync();
  } else if (rvParam !== '0') {
    const want = parseRV(rvParam);
    try {
      await rs.cache.waitFor(want);
    } catch (err) {
      throw tooLargeResourceVersion((err as Error).message);
    }
  }

  if (atRevision === undefined || atRevision === rs.cache.revision) {
    const revision = rs.cache.revision;
    const { keys, objects } = rs.cache.list(binding.prefix, prefix, startAfter);
    const items: KObject[] = [];
    let i = 0;
    for (; i < keys.length; i++) {
      const obj = objects.get(keys[i]!)!;
      if (filter && !filter(obj)) continue;
      if (limit && items.length === limit) break;
      items.push(binding.identity ? obj : binding.fromStorage(obj));
    }
    const result: ListResult = { items, resourceVersion: String(revision) };
    if (limit && i < keys.length) {
      result.continue = encodeContinue({ rv: revision, start: keyOf(def, binding.prefix, items[items.length - 1]!) });
      if (!filter) result.remainingItemCount = keys.length - i;
    }
    return result;
  }
  return listFromStore(rs, def, prefix, atRevision, startAfter, limit, filter);
}

function keyOf(def: ResourceDef, resourcePrefix: string, obj: KObject): string {
  return def.namespaced ? `${resourcePrefix}${obj.metadata!.namespace}/${obj.metadata!.name}` : `${resourcePrefix}${obj.metadata!.name}`;
}

async function listFromStore(
  rs: ResourceStorage,
  def: ResourceDef,
  prefix: string,
  revision: number,
  startAfter: string | undefined,
  limit: number,
  filter: ((o: KObject) => boolean) | undefined,
): Promise<ListResult> {
  const binding = rs.binding(def);
  const items: KObject[] = [];
  let after = startAfter;
  let more = false;
  let remaining: number | undefined;
  let lastKey: string | undefined;
  try {
    for (;;) {
      const chunk = limit ? Math.max(limit - items.length, 100) : 0;
      const page = await rs.store.list(prefix, { revision, limit: chunk, startAfter: after });
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i]!;
        if (limit && items.length === limit) {
          more = true;
          break;
        }
        lastKey = kv.key;
        const obj = decode(kv);
        if (!filter || filter(obj)) items.push(binding.fromStorage(obj));
        if (!filter && limit && items.length === limit && (i < page.items.length - 1 || page.more)) {
          more = true;
          remaining = page.remaining !== undefined ? page.remaining + (page.items.length - 1 - i) : undefined;
          break;
        }
      }
      if (more || !page.more || page.items.length === 0) break;
      after = page.items[page.items.length - 1]!.key;
    }
  } catch (err) {
    if (err instanceof StoreError && err.code === 'Compacted')
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    throw err;
  }
  const result: ListResult = { items, resourceVersion: String(revision) };
  if (more && lastKey) {
    result.continue = encodeContinue({ rv: revision, start: lastKey });
    if (remaining !== undefined) result.remainingItemCount = remaining;
  }
  return result;
}
