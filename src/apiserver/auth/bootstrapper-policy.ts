// What a bootstrap token may do before RBAC decides it: kube-apiserver's bootstrap policy
// binds system:bootstrappers only to system:node-bootstrapper (create, get, list and watch
// CertificateSigningRequests) and to the discovery and public-info roles. Until an
// authorization mode is wired, this keeps a join token from acting as anything more.
import { StatusError } from '../status.js';
import { parseResourcePath } from '../request-info.js';
import type { UserInfo } from '../types.js';
import type { AuthorizationAttributes, Authorizer } from './types.js';
import { BOOTSTRAPPERS_GROUP } from './bootstrap-token.js';

const DISCOVERY = /^\/(api|apis|version|healthz|livez|readyz|openapi)(\/|$)/;
const CSR_VERBS = ['create', 'get', 'list', 'watch'];

/** Denies bootstrappers everything but their CSRs and discovery; no opinion on anyone else. */
export const bootstrapperAuthorizer: Authorizer = {
  authorize(a: AuthorizationAttributes) {
    if (!a.user.groups.includes(BOOTSTRAPPERS_GROUP)) return { decision: 'no-opinion' };
    if (!a.resourceRequest) return a.verb === 'get' && DISCOVERY.test(a.path ?? '') ? { decision: 'allow' } : { decision: 'deny' };
    const csr = a.apiGroup === 'certificates.k8s.io' && a.resource === 'certificatesigningrequests' && !a.subresource;
    return csr && CSR_VERBS.includes(a.verb) ? { decision: 'allow' } : { decision: 'deny' };
  },
};

function forbiddenMessage(a: AuthorizationAttributes): StatusError {
  const who = `User "${a.user.username}" cannot`;
  if (!a.resourceRequest) return new StatusError(403, 'Forbidden', `forbidden: ${who} ${a.verb} path "${a.path}"`);
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  const where = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  const why = `${who} ${a.verb} resource "${res}" in API group "${a.apiGroup ?? ''}"${where}`;
  const what = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource!;
  return new StatusError(403, 'Forbidden', `${what}${a.name ? ` "${a.name}"` : ''} is forbidden: ${why}`, {
    name: a.name || undefined,
    group: a.apiGroup || undefined,
    kind: a.resource,
  });
}

/** The 403 a bootstrapper gets for this request, or undefined when it may go on. */
export function bootstrapperDenial(user: UserInfo, method: string, path: string, query: URLSearchParams): StatusError | undefined {
  if (!user.groups.includes(BOOTSTRAPPERS_GROUP)) return undefined;
  const info = parseResourcePath(method, path, query);
  const attrs: AuthorizationAttributes = info
    ? {
        user,
        verb: info.verb,
        resourceRequest: true,
        apiGroup: info.group,
        apiVersion: info.version,
        resource: info.resource,
        subresource: info.subresource,
        namespace: info.namespace,
        name: info.name,
      }
    : { user, verb: method.toLowerCase(), resourceRequest: false, path };
  return bootstrapperAuthorizer.authorize(attrs).decision === 'deny' ? forbiddenMessage(attrs) : undefined;
}
