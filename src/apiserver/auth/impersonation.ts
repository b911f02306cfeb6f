// Impersonation, as kube-apiserver's WithImpersonation filter: Impersonate-User, -Group,
// -Uid and Impersonate-Extra-<key> headers turn the request into the named user's, after the
// requesting user is allowed the `impersonate` verb on each part (users or serviceaccounts,
// groups, uids, userextras/<key>). Refused → 403 in Kubernetes' words; never ignored.
import type { IncomingHttpHeaders } from 'node:http';
import { errors, type StatusError } from '../status.js';
import type { UserInfo } from '../types.js';
import { ANONYMOUS, AUTHENTICATED, UNAUTHENTICATED } from './authenticator.js';
import type { AuthorizationAttributes, Authorizer } from './types.js';

const EXTRA_PREFIX = 'impersonate-extra-';
const SA_PREFIX = 'system:serviceaccount:';

function values(h: string | string[] | undefined): string[] {
  if (h === undefined) return [];
  // Node joins repeated headers with ", " for most names; Impersonate-Group may repeat.
  return (Array.isArray(h) ? h : [h])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The impersonation headers of a request, or undefined when there are none. */
export function impersonationHeaders(
  headers: IncomingHttpHeaders,
  rawHeaders?: string[],
): { user?: string; groups: string[]; uid?: string; extra: Record<string, string[]> } | undefined {
  const user = headers['impersonate-user'] as string | undefined;
  const uid = headers['impersonate-uid'] as string | undefined;
  // Groups may contain commas only in theory; repeated headers are the way kubectl sends several.
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  if (rawHeaders) {
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toLowerCase();
      const value = rawHeaders[i + 1]!;
      if (name === 'impersonate-group') groups.push(value);
      else if (name.startsWith(EXTRA_PREFIX)) {
        const key = decodeURIComponent(name.slice(EXTRA_PREFIX.length));
        (extra[key] ??= []).push(value);
      }
    }
  } else {
    groups.push(...values(headers['impersonate-group']));
    for (const [name, v] of Object.entries(headers)) if (name.startsWith(EXTRA_PREFIX)) extra[decodeURIComponent(name.slice(EXTRA_PREFIX.length))] = values(v);
  }
  if (user === undefined && uid === undefined && !groups.length && !Object.keys(extra).length) return undefined;
  return { user, groups, uid, extra };
}

function forbidden(requester: UserInfo, a: AuthorizationAttributes, reason?: string): StatusError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${requester.username}" cannot impersonate resource "${resource}" in API group "${a.apiGroup ?? ''}" ${scope}${reason ? `: ${reason}` : ''}`;
  return errors.forbidden(a.apiGroup ?? '', a.resource!, a.name ?? '', why);
}

/**
 * The user the request acts as: `requester` itself without impersonation headers, else the
 * impersonated user once every part is allowed. Throws a StatusError (400 or 403) otherwise.
 */
export function impersonate(requester: UserInfo, headers: IncomingHttpHeaders, authorizer: Authorizer, rawHeaders?: string[]): UserInfo {
  const h = impersonationHeaders(headers, rawHeaders);
  if (!h) return requester;
  if (h.user === undefined) {
    const asked = [...h.groups.map((g) => `group ${g}`), ...(h.uid !== undefined ? [`uid ${h.uid}`] : []), ...Object.keys(h.extra).map((k) => `extra ${k}`)];
    throw errors.internal(new Error(`requested [${asked.join(' ')}] without impersonating a user`));
  }
  const check = (a: Omit<AuthorizationAttributes, 'user' | 'verb' | 'resourceRequest'>) => {
    const attrs: AuthorizationAttributes = { user: requester, verb: 'impersonate', resourceRequest: true, ...a };
    const d = authorizer.authorize(attrs);
    if (d.decision !== 'allow') throw forbidden(requester, attrs, d.reason);
  };
  const username = h.user;
  let groups = [...h.groups];
  if (username.startsWith(SA_PREFIX)) {
    const [namespace, name] = username.slice(SA_PREFIX.length).split(':');
    if (!namespace || !name) throw errors.badRequest(`invalid service account name ${JSON.stringify(username)}`);
    check({ apiGroup: '', resource: 'serviceaccounts', namespace, name });
    // A service account's groups follow from its name, unless groups were asked for.
    if (!groups.length) groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
  } else check({ apiGroup: '', resource: 'users', name: username });
  for (const g of h.groups) check({ apiGroup: '', resource: 'groups', name: g });
  if (h.uid !== undefined) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: h.uid });
  for (const [key, vals] of Object.entries(h.extra))
    for (const v of vals) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
  if (username === ANONYMOUS) {
    if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED);
  } else if (!groups.includes(AUTHENTICATED)) groups.push(AUTHENTICATED);
  const user: UserInfo = { username, groups };
  if (h.uid !== undefined) user.uid = h.uid;
  if (Object.keys(h.extra).length) user.extra = h.extra;
  return user;
}
