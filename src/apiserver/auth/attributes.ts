// The authorization attributes of a resource request, as kube-apiserver's RequestInfo gives
// them: a Namespace object's own requests are in that namespace, and a list or watch
// selecting one name is about that name.
import type { ApiRequest } from '../types.js';
import type { AuthorizationAttributes } from './types.js';

/** A list or watch of one object by `fieldSelector=metadata.name=x` names it, as RequestInfo does. */
function selectedName(req: ApiRequest): string | undefined {
  if (req.name || (req.verb !== 'list' && req.verb !== 'watch')) return req.name;
  const fs = req.query.get('fieldSelector');
  if (!fs) return undefined;
  const m = /^metadata\.name==?([^,]*)$/.exec(fs);
  return m ? m[1] : undefined;
}

export function requestAttributes(req: ApiRequest): AuthorizationAttributes {
  const ns = req.namespace ?? (req.group === '' && req.resource === 'namespaces' ? req.name : undefined);
  return {
    user: req.user,
    verb: req.verb,
    resourceRequest: true,
    apiGroup: req.group,
    apiVersion: req.version,
    resource: req.resource,
    subresource: req.subresource,
    namespace: ns,
    name: selectedName(req),
  };
}
