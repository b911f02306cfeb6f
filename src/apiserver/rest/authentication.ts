// authentication.k8s.io/v1 reviews: TokenReview (is this token valid, and whose is it?) and
// SelfSubjectReview (who am I? — `kubectl auth whoami`). Answered, never stored.
import type { KObject } from '../../api/types.js';
import { AuthenticationError, type AuthResponse } from '../auth/authenticator.js';
import { errors } from '../status.js';
import type { ApiRequest, ApiResult, UserInfo } from '../types.js';

const API_VERSION = 'authentication.k8s.io/v1';

function userInfo(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

function bodyOf(req: ApiRequest, kind: string): KObject {
  const b = req.body as KObject | undefined;
  if (!b || typeof b !== 'object') throw errors.badRequest(`the body of the request was not a ${kind}`);
  return b;
}

/** What TokenReview asks: the authenticator chain's token half, with the review's audiences. */
export type ReviewToken = (token: string, audiences?: string[]) => AuthResponse | undefined;

export function tokenReview(req: ApiRequest, review: ReviewToken, apiAudiences: string[]): ApiResult {
  const b = bodyOf(req, 'TokenReview');
  const spec = (b.spec ?? {}) as { token?: string; audiences?: string[] };
  if (!spec.token) throw errors.badRequest('token is required for TokenReview in authentication');
  const asked = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : undefined;
  let status: Record<string, unknown>;
  try {
    const r = review(spec.token, asked ?? apiAudiences);
    // A token whose audiences were not given answers with the API's (kube-apiserver's implicit audiences).
    status = r ? { authenticated: true, user: userInfo(r.user), audiences: r.audiences ?? asked ?? apiAudiences } : { user: {}, error: 'invalid bearer token' };
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err;
    status = { user: {}, error: `[invalid bearer token, ${err.message}]` };
  }
  const body: KObject = { kind: 'TokenReview', apiVersion: API_VERSION, metadata: { ...(b.metadata ?? {}), creationTimestamp: null }, spec, status };
  return { status: 201, body };
}

export function selfSubjectReview(req: ApiRequest): ApiResult {
  const b = (req.body as KObject | undefined) ?? {};
  return {
    status: 201,
    body: {
      kind: 'SelfSubjectReview',
      apiVersion: API_VERSION,
      metadata: { ...(b.metadata ?? {}), creationTimestamp: null },
      status: { userInfo: userInfo(req.user) },
    },
  };
}
