// The contract between authentication (who is asking) and authorization (may they): the
// request attributes an authorizer decides on, as kube-apiserver's authorizer.Attributes.
import type { UserInfo } from '../types.js';

/** One request as an authorizer sees it: a resource request or a non-resource path. */
export interface AuthorizationAttributes {
  user: UserInfo;
  /** Resource verbs (get, list, watch, create, update, patch, delete, deletecollection, and
   *  the special ones: impersonate, bind, escalate, approve, sign, use); for non-resource
   *  requests the lower-case HTTP method (get, post, put, patch, delete). */
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The URL path of a non-resource request. */
  path?: string;
}

export type AuthorizationDecision = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizationResult {
  decision: AuthorizationDecision;
  /** Why, in the authorizer's words; shown in SubjectAccessReview status and audit. */
  reason?: string;
}

/** Decides synchronously, from caches: it sits on every request's path. */
export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): AuthorizationResult;
}

/** Until an authorization mode is configured: every authenticated user may do anything. */
export const alwaysAllow: Authorizer = {
  authorize: () => ({ decision: 'allow' }),
};
