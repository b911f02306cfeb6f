// The path of a request as the client sent it. WHATWG URL parsing resolves `.` and `..`
// segments (also when written %2e%2e), so `/api/v1/namespaces/default/configmaps/%2e%2e`
// would become the `default` Namespace; kube-apiserver never resolves them, and refuses such
// names when it builds the storage key. Percent-escapes that do not decode are a 400 here.
import { errors, type StatusError } from './status.js';

/** The raw path of `url` (a request target), without query or fragment; never dot-resolved. */
export function rawPathname(url: string | undefined): string {
  const u = url ?? '/';
  const end = u.search(/[?#]/);
  let p = end < 0 ? u : u.slice(0, end);
  // Absolute-form targets (`GET https://host/path`) name a path after the authority.
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p);
  if (abs) p = p.slice(abs[0].length) || '/';
  return p.startsWith('/') ? p : `/${p}`;
}

/** decodeURIComponent with Go's wording for what does not decode, as a 400. */
export function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    const bad = /%(?![0-9a-fA-F]{2})[^%]{0,2}/.exec(s)?.[0];
    throw errors.badRequest(bad ? `invalid URL escape ${JSON.stringify(bad)}` : `invalid URL path ${JSON.stringify(s)}: escapes do not decode to UTF-8`);
  }
}

/** Kubernetes' IsValidPathSegmentName: what a name or namespace in a storage key may not be. */
export function pathSegmentProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  for (const c of ['/', '%']) if (name.includes(c)) out.push(`may not contain '${c}'`);
  return out;
}

/** 400 as kube-apiserver's NamespaceKeyFunc answers for a name that cannot be a key segment. */
export function invalidPathName(what: 'Name' | 'Namespace', name: string): StatusError | undefined {
  const problems = pathSegmentProblems(name);
  return problems.length ? errors.badRequest(`${what} parameter invalid: ${JSON.stringify(name)}: ${problems.join(';')}`) : undefined;
}
