// The 403 a denied request gets, worded as kube-apiserver's responsewriters.Forbidden.
import { errors, StatusError } from '../status.js';
import type { AuthorizationAttributes } from './types.js';

export function forbiddenMessage(a: AuthorizationAttributes): string {
  const user = JSON.stringify(a.user.username);
  if (!a.resourceRequest) return `User ${user} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  const what = `User ${user} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup ?? '')}`;
  return a.namespace ? `${what} in the namespace ${JSON.stringify(a.namespace)}` : `${what} at the cluster scope`;
}

export function forbidden(a: AuthorizationAttributes, reason?: string): StatusError {
  const msg = forbiddenMessage(a);
  const why = reason ? `${msg}: ${reason}` : msg;
  if (!a.resourceRequest) return new StatusError(403, 'Forbidden', `forbidden: ${why}`, {});
  return errors.forbidden(a.apiGroup ?? '', a.resource ?? '', a.name ?? '', why);
}
