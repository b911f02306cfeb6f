// serviceaccounts/token (TokenRequest): a bound token for a service account, optionally
// bound to a pod or Secret of its namespace, with kube-apiserver's defaults and checks.
import type { ResourceRegistry } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ServiceAccountTokens } from '../auth/service-account-token.js';
import { errors } from '../status.js';
import type { ApiRequest, ApiResult } from '../types.js';
import type { ResourceStorage } from './resource-store.js';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

function invalid(field: string, message: string) {
  return errors.invalid('authentication.k8s.io', 'TokenRequest', '', [{ type: 'FieldValueInvalid', field, message }]);
}

export async function tokenRequest(
  req: ApiRequest,
  rs: ResourceStorage,
  registry: ResourceRegistry,
  tokens: ServiceAccountTokens,
  /** --service-account-max-token-expiration, in seconds (none: no cap). */
  maxExpirationSeconds?: number,
): Promise<ApiResult> {
  if (req.verb !== 'create') throw errors.methodNotSupported('', 'serviceaccounts/token', req.verb);
  const ns = req.namespace!;
  const b = (req.body ?? {}) as KObject;
  if (typeof b !== 'object') throw errors.badRequest('the body of the request was not a TokenRequest');
  const spec = { ...((b.spec ?? {}) as Record<string, any>) };
  const lookup = async (resource: string, name: string) => rs.get(registry.lookup('', 'v1', resource)!, ns, name);
  const sa = await lookup('serviceaccounts', req.name!);
  let expirationSeconds = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? DEFAULT_EXPIRATION_SECONDS : Number(spec.expirationSeconds);
  if (!Number.isInteger(expirationSeconds))
    throw invalid('spec.expirationSeconds', `Invalid value: ${JSON.stringify(spec.expirationSeconds)}: must be an integer`);
  if (expirationSeconds < MIN_EXPIRATION_SECONDS)
    throw invalid('spec.expirationSeconds', `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`);
  if (expirationSeconds > MAX_EXPIRATION_SECONDS)
    throw invalid('spec.expirationSeconds', `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds`);
  if (maxExpirationSeconds && expirationSeconds > maxExpirationSeconds) expirationSeconds = maxExpirationSeconds;
  const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : tokens.apiAudiences;

  let boundObject: { kind: 'Pod' | 'Secret'; name: string; uid: string } | undefined;
  let node: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef as { kind?: string; apiVersion?: string; name?: string; uid?: string } | undefined;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret')
      throw invalid('spec.boundObjectRef.kind', `Unsupported value: ${JSON.stringify(ref.kind)}: supported values: "Pod", "Secret"`);
    if (!ref.name)
      throw errors.invalid('authentication.k8s.io', 'TokenRequest', '', [
        { type: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' },
      ]);
    const obj = await lookup(ref.kind === 'Pod' ? 'pods' : 'secrets', ref.name);
    const uid = obj.metadata?.uid as string;
    if (ref.uid && ref.uid !== uid)
      throw errors.conflict(
        '',
        ref.kind === 'Pod' ? 'pods' : 'secrets',
        ref.name,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    if (ref.kind === 'Pod') {
      const podSa = obj.spec?.serviceAccountName ?? 'default';
      if (podSa !== req.name) throw errors.badRequest(`cannot bind token for serviceaccount "${req.name}" to pod running with different serviceaccount name.`);
      const nodeName = obj.spec?.nodeName as string | undefined;
      if (nodeName) {
        const n = await rs.get(registry.lookup('', 'v1', 'nodes')!, undefined, nodeName).catch(() => undefined);
        if (n?.metadata?.uid) node = { name: nodeName, uid: n.metadata.uid };
      }
    }
    boundObject = { kind: ref.kind, name: ref.name, uid };
    spec.boundObjectRef = { ...ref, apiVersion: ref.apiVersion ?? 'v1', uid };
  }
  const issued = await tokens.issue({
    namespace: ns,
    serviceAccount: { name: req.name!, uid: sa.metadata!.uid! },
    audiences,
    expirationSeconds,
    boundObject,
    node,
  });
  return {
    status: 201,
    body: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: req.name, namespace: ns, creationTimestamp: null },
      spec: { ...spec, audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token: issued.token, expirationTimestamp: issued.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    },
  };
}
