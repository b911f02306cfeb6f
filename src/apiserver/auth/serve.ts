// Puts authentication together for one apiserver: the chain (client certificates, static
// tokens, service-account tokens, the other token kinds, anonymous), the service-account
// token issuer, and the API that exposes them — TokenReview, SelfSubjectReview,
// serviceaccounts/token and the issuer discovery documents.
import type { KObject } from '../../api/types.js';
import type { ApiHandler } from '../handler.js';
import { selfSubjectReview, tokenReview } from '../rest/authentication.js';
import { tokenRequest } from '../rest/token-request.js';
import type { UserInfo } from '../types.js';
import type { TokenAuthenticator } from './authenticator.js';
import { AuthenticatorChain } from './chain.js';
import { oidcDocuments, type OidcDocuments } from './oidc-discovery.js';
import { generateServiceAccountKey, type ServiceAccountKey } from './service-account-key.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from './service-account-token.js';
import { staticTokenAuthenticator } from './token-file.js';
import type { Authorizer } from './types.js';
import { x509Authenticator } from './x509.js';

export interface AuthenticationOptions {
  /** Signs and verifies service-account tokens; default a fresh in-memory key (tests). */
  serviceAccountKey?: ServiceAccountKey;
  /** --service-account-issuer; default https://kubernetes.default.svc.cluster.local. */
  serviceAccountIssuer?: string;
  /** --api-audiences; default [issuer]. */
  apiAudiences?: string[];
  /** --service-account-max-token-expiration in seconds. */
  maxTokenExpirationSeconds?: number;
  /** --anonymous-auth; default true. */
  anonymous?: boolean;
  /** The ServiceAccount admission plugin (off for bare apiservers in tests, which run no service-account controller). */
  serviceAccountAdmission?: boolean;
  /** Decides impersonation; default alwaysAllow (until an authorization mode is wired). */
  authorizer?: Authorizer;
}

export interface ServedAuthentication {
  chain: AuthenticatorChain;
  serviceAccountTokens: ServiceAccountTokens;
  oidc(): OidcDocuments;
}

/** Reads objects the tokens name straight from the watch cache: no store round trip on the request path. */
interface ObjectCache {
  get(key: string): KObject | undefined;
}

export function serveAuthentication(
  handler: ApiHandler,
  cache: ObjectCache,
  opts: AuthenticationOptions & { tokens?: Map<string, UserInfo>; extraTokens?: TokenAuthenticator[] },
): ServedAuthentication {
  const issuer = opts.serviceAccountIssuer ?? DEFAULT_ISSUER;
  const apiAudiences = opts.apiAudiences?.length ? opts.apiAudiences : [issuer];
  const sa = new ServiceAccountTokens(opts.serviceAccountKey ?? generateServiceAccountKey, issuer, apiAudiences, (resource, ns, name) =>
    cache.get(`/registry/${resource}/${ns}/${name}`),
  );
  const chain = new AuthenticatorChain({
    request: [x509Authenticator()],
    tokens: [...(opts.tokens ? [staticTokenAuthenticator(opts.tokens)] : []), sa, ...(opts.extraTokens ?? [])],
    anonymous: opts.anonymous,
  });
  handler.answered.set('authentication.k8s.io/tokenreviews', (req) => tokenReview(req, (t, aud) => chain.authenticateToken(t, aud), apiAudiences));
  handler.answered.set('authentication.k8s.io/selfsubjectreviews', selfSubjectReview);
  handler.addSubresource('token', async (def, _ns, req) => {
    if (def.group !== '' || def.plural !== 'serviceaccounts') return undefined;
    return tokenRequest(req, handler.rs, handler.registry, sa, opts.maxTokenExpirationSeconds);
  });
  let docs: OidcDocuments | undefined;
  return { chain, serviceAccountTokens: sa, oidc: () => (docs ??= oidcDocuments(issuer, [sa.key])) };
}
