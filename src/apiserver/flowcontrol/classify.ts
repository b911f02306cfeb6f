// Which FlowSchema a request belongs to: the first, by matchingPrecedence then name, whose
// rules match the user and the request (Kubernetes' matchesFlowSchema), and the flow
// distinguisher that splits its requests into flows.
import type { KObject } from '../../api/types.js';

export interface RequestDigest {
  user: { username: string; groups: string[] };
  /** Lower-case HTTP method for non-resource requests; the API verb for resource requests. */
  verb: string;
  resource?: { group: string; version?: string; resource: string; subresource?: string; namespace?: string };
  /** The path of a non-resource request. */
  path: string;
}

const SA_PREFIX = 'system:serviceaccount:';

function matchesSubject(s: any, user: RequestDigest['user']): boolean {
  switch (s?.kind) {
    case 'User':
      return s.user?.name === '*' || s.user?.name === user.username;
    case 'Group':
      return s.group?.name === '*' || user.groups.includes(s.group?.name);
    case 'ServiceAccount': {
      if (!user.username.startsWith(SA_PREFIX)) return false;
      const [ns, name] = user.username.slice(SA_PREFIX.length).split(':');
      return s.serviceAccount?.namespace === ns && (s.serviceAccount?.name === '*' || s.serviceAccount?.name === name);
    }
    default:
      return false;
  }
}

const has = (list: unknown, v: string): boolean => Array.isArray(list) && (list.includes('*') || list.includes(v));

function matchesResourceRule(r: any, req: NonNullable<RequestDigest['resource']>, verb: string): boolean {
  if (!has(r?.verbs, verb) || !has(r?.apiGroups, req.group)) return false;
  const res = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  if (!has(r?.resources, res)) return false;
  // A namespaces list holding "*" matches every namespaced request, never a cluster-scoped one.
  return req.namespace ? has(r?.namespaces, req.namespace) : r?.clusterScope === true;
}

function matchesUrl(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === path) return true;
  return pattern.endsWith('/*') && path.startsWith(pattern.slice(0, -1));
}

function matchesNonResourceRule(r: any, req: RequestDigest): boolean {
  return has(r?.verbs, req.verb) && Array.isArray(r?.nonResourceURLs) && r.nonResourceURLs.some((u: string) => matchesUrl(u, req.path));
}

export function matchesFlowSchema(schema: KObject, req: RequestDigest): boolean {
  for (const rules of schema.spec?.rules ?? []) {
    if (!(rules?.subjects ?? []).some((s: unknown) => matchesSubject(s, req.user))) continue;
    if (req.resource) {
      const resReq = req.resource;
      if ((rules.resourceRules ?? []).some((r: unknown) => matchesResourceRule(r, resReq, req.verb))) return true;
    } else if ((rules.nonResourceRules ?? []).some((r: unknown) => matchesNonResourceRule(r, req))) return true;
  }
  return false;
}

/** Orders schemas as the dispatcher consults them: precedence ascending, then name. */
export function sortFlowSchemas(schemas: KObject[]): KObject[] {
  return [...schemas].sort(
    (a, b) => (a.spec?.matchingPrecedence ?? 1000) - (b.spec?.matchingPrecedence ?? 1000) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  );
}

/** The part of the flow key that tells flows of one schema apart. */
export function flowDistinguisher(schema: KObject, req: RequestDigest): string {
  switch (schema.spec?.distinguisherMethod?.type) {
    case 'ByUser':
      return req.user.username;
    case 'ByNamespace':
      return req.resource?.namespace ?? '';
    default:
      return '';
  }
}
