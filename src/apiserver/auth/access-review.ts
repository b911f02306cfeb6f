// authorization.k8s.io/v1 access reviews: "may this user do this?" answered by the same
// authorizer that guards requests (SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectAccessReview), and "what may I do here?" from the RBAC rules
// (SelfSubjectRulesReview), as `kubectl auth can-i [--list]` asks them.
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';
import type { ApiRequest, ApiResult, UserInfo } from '../types.js';
import type { RbacAuthorizer } from './rbac/authorizer.js';
import type { AuthorizationAttributes, Authorizer } from './types.js';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** spec.extra: lists of strings by key (protobuf bodies decode to the same JSON form). */
function extraOf(v: unknown): Record<string, string[]> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = Array.isArray(x) ? x.map(String) : [];
  }
  return out;
}

function attributesOf(kind: string, spec: any, user: UserInfo): AuthorizationAttributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if (!!ra === !!nra)
    throw errors.invalid('authorization.k8s.io', kind, '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.resourceAttributes',
        message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`,
      },
    ]);
  if (nra) return { user, verb: str(nra.verb), resourceRequest: false, path: str(nra.path) };
  return {
    user,
    verb: str(ra.verb),
    resourceRequest: true,
    apiGroup: str(ra.group),
    apiVersion: str(ra.version),
    resource: str(ra.resource),
    subresource: str(ra.subresource) || undefined,
    namespace: str(ra.namespace) || undefined,
    name: str(ra.name) || undefined,
  };
}

function answer(def: ResourceDef, body: KObject, status: Record<string, unknown>): ApiResult {
  const { status: _old, ...rest } = body;
  return {
    status: 201,
    body: { ...rest, kind: def.kind, apiVersion: 'authorization.k8s.io/v1', metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, status },
  };
}

export class AccessReviews {
  constructor(
    private readonly authorizer: () => Authorizer,
    private readonly rbac: () => RbacAuthorizer | undefined,
  ) {}

  private decide(a: AuthorizationAttributes): Record<string, unknown> {
    const r = this.authorizer().authorize(a);
    const status: Record<string, unknown> = { allowed: r.decision === 'allow' };
    if (r.decision === 'deny') status.denied = true;
    if (r.reason) status.reason = r.reason;
    return status;
  }

  /** Serves a create of one of the review kinds; undefined for any other resource. */
  serve(def: ResourceDef, req: ApiRequest): ApiResult | undefined {
    if (def.group !== 'authorization.k8s.io') return undefined;
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as KObject;
    const spec = body.spec ?? {};
    switch (def.plural) {
      case 'subjectaccessreviews':
      case 'localsubjectaccessreviews': {
        const local = def.plural === 'localsubjectaccessreviews';
        if (local) {
          if (spec.nonResourceAttributes) throw errors.badRequest('nonResourceAttributes disallowed on this kind of request');
          const ns = spec.resourceAttributes?.namespace;
          if (body.metadata?.namespace && body.metadata.namespace !== req.namespace)
            throw errors.badRequest(`namespace is required on this type: ${req.namespace}`);
          if (ns !== undefined && ns !== '' && ns !== req.namespace)
            throw errors.badRequest(`spec.resourceAttributes.namespace must match metadata.namespace: ${ns}`);
        }
        const who: UserInfo = {
          username: str(spec.user),
          groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
          uid: str(spec.uid) || undefined,
          extra: extraOf(spec.extra),
        };
        if (!who.username && !who.groups.length)
          throw errors.invalid('authorization.k8s.io', def.kind, '', [
            { type: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' },
          ]);
        const a = attributesOf(def.kind, spec, who);
        if (local) a.namespace = req.namespace;
        return answer(def, body, this.decide(a));
      }
      case 'selfsubjectaccessreviews':
        return answer(def, body, this.decide(attributesOf(def.kind, spec, req.user)));
      case 'selfsubjectrulesreviews':
        return answer(def, body, this.rules(req.user, str(spec.namespace)));
      default:
        return undefined;
    }
  }

  private rules(user: UserInfo, namespace: string): Record<string, unknown> {
    const rbac = this.rbac();
    if (!rbac) return { resourceRules: [], nonResourceRules: [], incomplete: true };
    const { rules, errors: errs } = rbac.rulesFor(user, namespace || undefined);
    const resourceRules: unknown[] = [];
    const nonResourceRules: unknown[] = [];
    for (const r of rules) {
      if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
      else {
        const rr: Record<string, unknown> = { verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] };
        if (r.resourceNames?.length) rr.resourceNames = r.resourceNames;
        resourceRules.push(rr);
      }
    }
    const status: Record<string, unknown> = { resourceRules, nonResourceRules, incomplete: errs.length > 0 };
    if (errs.length) status.evaluationError = errs.join(', ');
    return status;
  }
}
