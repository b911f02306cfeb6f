import type { FieldError, ResourceDef } from '../types.js';
import { fieldErr, immutable, isDNS1123Label, isDNS1123Subdomain } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

/** The annotation that marks the cluster's default IngressClass. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

const MAX_CONTROLLER = 250;
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const SCOPES = ['Cluster', 'Namespace'];

/** IsDomainPrefixedPath: `example.com/some-controller`. */
function domainPrefixedPath(value: unknown, path: string): FieldError[] {
  if (typeof value !== 'string' || !value) return [fieldErr.required(path)];
  const slash = value.indexOf('/');
  const host = slash < 0 ? value : value.slice(0, slash);
  const rest = slash < 0 ? '' : value.slice(slash + 1);
  if (slash < 0 || !host || !rest) return [fieldErr.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((m) => fieldErr.invalid(path, host, m));
  if (!HTTP_PATH.test(rest)) errs.push(fieldErr.invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return errs;
}

function validateParameters(p: any, path: string): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  if (!p.kind) errs.push(fieldErr.required(`${path}.kind`));
  if (!p.name) errs.push(fieldErr.required(`${path}.name`));
  if (p.apiGroup) for (const m of isDNS1123Subdomain(p.apiGroup)) errs.push(fieldErr.invalid(`${path}.apiGroup`, p.apiGroup, m));
  if (p.scope == null) return [...errs, fieldErr.required(`${path}.scope`)];
  if (!SCOPES.includes(p.scope)) return [...errs, fieldErr.notSupported(`${path}.scope`, p.scope, SCOPES)];
  if (p.scope === 'Namespace') {
    if (p.namespace == null) errs.push(fieldErr.required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else for (const m of isDNS1123Label(String(p.namespace))) errs.push(fieldErr.invalid(`${path}.namespace`, p.namespace, m));
  }
  if (p.scope === 'Cluster' && p.namespace != null) errs.push(fieldErr.forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

export const ingressclasses: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,
  generation: true,
  defaults(obj) {
    const p = obj.spec?.parameters;
    if (p && typeof p === 'object') p.scope ??= 'Cluster';
  },
  prepareForCreate(obj) {
    obj.metadata!.generation = 1;
  },
  validate(obj) {
    const spec = obj.spec ?? {};
    const errs: FieldError[] = [];
    if (typeof spec.controller === 'string' && spec.controller.length > MAX_CONTROLLER)
      errs.push({ type: 'FieldValueTooLong', field: 'spec.controller', message: `Too long: may not be more than ${MAX_CONTROLLER} bytes` });
    errs.push(...domainPrefixedPath(spec.controller, 'spec.controller'));
    errs.push(...validateParameters(spec.parameters, 'spec.parameters'));
    return errs;
  },
  validateUpdate: (obj, old) => immutable(obj.spec?.controller, old.spec?.controller, 'spec.controller'),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Controller', type: 'string', description: 'Controller that is responsible for handling this class', priority: 0 },
      { name: 'Parameters', type: 'string', description: 'A reference to a resource with additional parameters', priority: 0 },
      AGE_COLUMN,
    ],
    row(o, now) {
      const p = o.spec?.parameters;
      const params = p ? `${p.kind ?? ''}${p.apiGroup != null ? `.${p.apiGroup}` : ''}/${p.name ?? ''}` : '<none>';
      return [o.metadata?.name, o.spec?.controller ?? '', params, age(o.metadata?.creationTimestamp, now)];
    },
  },
};
