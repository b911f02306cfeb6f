// Bootstrap tokens, as kube-apiserver's bootstrap token authenticator reads them: the token
// `<id>.<secret>` names the Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token, which must allow authentication and not have expired; the
// user is system:bootstrap:<id> in system:bootstrappers and the Secret's auth-extra-groups.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KObject } from '../../api/types.js';
import type { UserInfo } from '../types.js';
import { BOOTSTRAP_TOKEN } from './join-token.js';

export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** The extra group of the server's own join token (kubeadm's is system:bootstrappers:kubeadm:default-node-token). */
export const JOIN_TOKEN_GROUP = 'system:bootstrappers:skiff:default-node-token';

export function bootstrapSecretName(id: string): string {
  return `bootstrap-token-${id}`;
}

/** The Secret that makes `id.secret` a bootstrap token; no expiration unless given. */
export function bootstrapTokenSecret(id: string, secret: string, opts: { description?: string; expiration?: string; extraGroups?: string[] } = {}): KObject {
  const data: Record<string, string> = {
    'token-id': id,
    'token-secret': secret,
    'usage-bootstrap-authentication': 'true',
    'usage-bootstrap-signing': 'true',
  };
  if (opts.description) data.description = opts.description;
  if (opts.expiration) data.expiration = opts.expiration;
  if (opts.extraGroups?.length) data['auth-extra-groups'] = opts.extraGroups.join(',');
  const b64: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) b64[k] = Buffer.from(v).toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: bootstrapSecretName(id), namespace: 'kube-system' }, type: BOOTSTRAP_SECRET_TYPE, data: b64 };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `getSecret(name)` reads kube-system Secrets from the apiserver's cache (synchronously: this
 * sits on every bearer request's path). Undefined for tokens that are not bootstrap tokens
 * or whose Secret does not allow them; `now` is for tests of expiry.
 */
export function bootstrapTokenAuthenticator(
  getSecret: (name: string) => KObject | undefined,
  now: () => number = Date.now,
): (token: string) => UserInfo | undefined {
  return (token) => {
    const m = BOOTSTRAP_TOKEN.exec(token);
    if (!m) return undefined;
    const [, id, secret] = m as unknown as [string, string, string];
    const s = getSecret(bootstrapSecretName(id));
    if (!s || s.type !== BOOTSTRAP_SECRET_TYPE || s.metadata?.deletionTimestamp) return undefined;
    const field = (k: string) => {
      const v = s.data?.[k];
      return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
    };
    if (field('token-id') !== id) return undefined;
    // Compared as hashes so the comparison takes the same time whatever the length.
    if (!timingSafeEqual(digest(field('token-secret') ?? ''), digest(secret))) return undefined;
    if (field('usage-bootstrap-authentication') !== 'true') return undefined;
    const expiration = field('expiration');
    if (expiration !== undefined) {
      const at = Date.parse(expiration);
      if (Number.isNaN(at) || at <= now()) return undefined;
    }
    const extra = (field('auth-extra-groups') ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g.startsWith(`${BOOTSTRAPPERS_GROUP}:`));
    return { username: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS_GROUP, ...extra] };
  };
}
