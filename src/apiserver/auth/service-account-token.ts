// Service-account tokens, as kube-apiserver issues and checks them: JWTs signed RS256 with
// the data dir's key. Bound tokens (TokenRequest) carry audiences, an expiry and the object
// they are bound to (a pod or a Secret) under the `kubernetes.io` claim; legacy tokens (in
// `kubernetes.io/service-account-token` Secrets) carry the Secret's name and never expire.
// Both stop working as soon as their service account, or the object they name, is gone or
// has another UID. The signature is checked once per token (then cached); those lookups,
// which read the watch cache, on every request.
import { randomUUID, verify } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { KObject } from '../../api/types.js';
import type { UserInfo } from '../types.js';
import { AuthenticationError, type AuthResponse, type TokenAuthenticator } from './authenticator.js';
import type { ServiceAccountKey } from './service-account-key.js';
import { VerifiedTokenCache } from './token-cache.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
export const CREDENTIAL_ID_EXTRA = 'authentication.kubernetes.io/credential-id';
/** How long a deleted pod's or Secret's tokens keep working once its deletion is due (kube-apiserver's grace). */
const DELETION_GRACE_MS = 60_000;

export type ObjectLookup = (resource: 'serviceaccounts' | 'pods' | 'secrets', namespace: string, name: string) => KObject | undefined;

interface Ref {
  name: string;
  uid: string;
}

/** The claims Skiff reads; as kube-apiserver's privateClaims and legacyPrivateClaims. */
export interface ServiceAccountClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  'kubernetes.io'?: { namespace: string; serviceaccount: Ref; pod?: Ref; secret?: Ref; node?: Ref; warnafter?: number };
  'kubernetes.io/serviceaccount/namespace'?: string;
  'kubernetes.io/serviceaccount/secret.name'?: string;
  'kubernetes.io/serviceaccount/service-account.name'?: string;
  'kubernetes.io/serviceaccount/service-account.uid'?: string;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function serviceAccountUser(namespace: string, name: string, uid: string | undefined, extra?: Record<string, string[]>): UserInfo {
  return { username: serviceAccountUsername(namespace, name), uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`], extra };
}

export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: Ref;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: { kind: 'Pod' | 'Secret'; name: string; uid: string };
  node?: Ref;
}

export class ServiceAccountTokens implements TokenAuthenticator {
  private readonly verified = new VerifiedTokenCache<ServiceAccountClaims>();
  private keyValue?: ServiceAccountKey;

  constructor(
    /** The signing key, or how to make it when first needed (an in-memory key for servers without a data dir). */
    private readonly keySource: ServiceAccountKey | (() => ServiceAccountKey),
    readonly issuer: string,
    /** What the API itself accepts a token for (--api-audiences, default the issuer). */
    readonly apiAudiences: string[],
    private readonly lookup: ObjectLookup,
    private readonly now: () => number = Date.now,
  ) {}

  get key(): ServiceAccountKey {
    this.keyValue ??= typeof this.keySource === 'function' ? this.keySource() : this.keySource;
    return this.keyValue;
  }

  /** A bound token, as TokenRequest answers it; the expiry is what it says. */
  async issue(r: BoundTokenRequest): Promise<{ token: string; expiration: Date }> {
    const nowS = Math.floor(this.now() / 1000);
    const exp = nowS + r.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: r.namespace, serviceaccount: r.serviceAccount };
    if (r.boundObject?.kind === 'Pod') k8s.pod = { name: r.boundObject.name, uid: r.boundObject.uid };
    if (r.boundObject?.kind === 'Secret') k8s.secret = { name: r.boundObject.name, uid: r.boundObject.uid };
    if (r.node) k8s.node = r.node;
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.keyId })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUsername(r.namespace, r.serviceAccount.name))
      .setAudience(r.audiences)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
    return { token, expiration: new Date(exp * 1000) };
  }

  /** A legacy token for a `kubernetes.io/service-account-token` Secret: no audience, no expiry. */
  async issueLegacy(namespace: string, serviceAccount: Ref, secretName: string): Promise<string> {
    return new SignJWT({
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secretName,
      'kubernetes.io/serviceaccount/service-account.name': serviceAccount.name,
      'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.uid,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.keyId })
      .setIssuer(LEGACY_ISSUER)
      .setSubject(serviceAccountUsername(namespace, serviceAccount.name))
      .sign(this.key.privateKey);
  }

  authenticateToken(token: string, audiences?: string[]): AuthResponse | undefined {
    const claims = this.verifiedClaims(token);
    if (!claims) return undefined;
    if (claims.iss === LEGACY_ISSUER) return this.legacy(claims);
    return this.bound(claims, audiences ?? this.apiAudiences);
  }

  /** The claims of a token this key signed for this issuer; undefined for a token of another kind. */
  private verifiedClaims(token: string): ServiceAccountClaims | undefined {
    const hit = this.verified.get(token);
    if (hit) return hit;
    // Not a JWT, or another issuer's: some other authenticator's business.
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let claims: ServiceAccountClaims;
    let alg: string | undefined;
    try {
      claims = decodeJwt(token) as ServiceAccountClaims;
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return undefined;
    }
    if (claims.iss !== this.issuer && claims.iss !== LEGACY_ISSUER) return undefined;
    // Signed with node's crypto directly: synchronous, so it can sit on every request's path.
    const ok = alg === 'RS256' && verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), this.key.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw new AuthenticationError('invalid bearer token: signature does not verify');
    this.verified.set(token, claims);
    return claims;
  }

  private bound(c: ServiceAccountClaims, audiences: string[]): AuthResponse {
    const nowS = this.now() / 1000;
    if (typeof c.exp !== 'number' || nowS >= c.exp) throw new AuthenticationError('service account token has expired');
    if (typeof c.nbf === 'number' && nowS + 60 < c.nbf) throw new AuthenticationError('service account token is not valid yet');
    const aud = Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : [];
    const matched = aud.filter((a) => audiences.includes(a));
    if (!matched.length) throw new AuthenticationError('token audiences is invalid for the target audiences');
    const k = c['kubernetes.io'];
    if (!k?.namespace || !k.serviceaccount?.name) throw new AuthenticationError('service account token lacks its kubernetes.io claims');
    this.alive('serviceaccounts', k.namespace, k.serviceaccount);
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      this.alive('pods', k.namespace, k.pod);
      extra[POD_NAME_EXTRA] = [k.pod.name];
      extra[POD_UID_EXTRA] = [k.pod.uid];
    }
    if (k.secret) this.alive('secrets', k.namespace, k.secret);
    if (k.node) {
      extra['authentication.kubernetes.io/node-name'] = [k.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    }
    if (c.jti) extra[CREDENTIAL_ID_EXTRA] = [`JTI=${c.jti}`];
    return { user: serviceAccountUser(k.namespace, k.serviceaccount.name, k.serviceaccount.uid, extra), audiences: matched };
  }

  private legacy(c: ServiceAccountClaims): AuthResponse {
    const ns = c['kubernetes.io/serviceaccount/namespace'];
    const name = c['kubernetes.io/serviceaccount/service-account.name'];
    const uid = c['kubernetes.io/serviceaccount/service-account.uid'];
    const secretName = c['kubernetes.io/serviceaccount/secret.name'];
    if (!ns || !name || !uid || !secretName) throw new AuthenticationError('legacy service account token lacks its claims');
    this.alive('serviceaccounts', ns, { name, uid });
    const secret = this.lookup('secrets', ns, secretName);
    if (!secret || secret.metadata?.deletionTimestamp) throw new AuthenticationError(`secret ${ns}/${secretName} of the token is gone`);
    // Legacy tokens are valid for the API only; their audience is the API's.
    return { user: serviceAccountUser(ns, name, uid), audiences: this.apiAudiences };
  }

  /** The named object exists with that UID (and its deletion is not past due). */
  private alive(resource: 'serviceaccounts' | 'pods' | 'secrets', ns: string, ref: Ref): void {
    const obj = this.lookup(resource, ns, ref.name);
    const what = `${resource.replace(/s$/, '')} ${ns}/${ref.name}`;
    if (!obj) throw new AuthenticationError(`${what} of the token is not found`);
    if (obj.metadata?.uid !== ref.uid) throw new AuthenticationError(`${what} of the token has another UID (${obj.metadata?.uid}, not ${ref.uid})`);
    const deleting = obj.metadata?.deletionTimestamp;
    if (deleting && Date.parse(deleting) + DELETION_GRACE_MS < this.now()) throw new AuthenticationError(`${what} of the token is being deleted`);
  }
}
