// The authenticator chain in kube-apiserver's order: client certificates first, then bearer
// tokens (static token file, service-account tokens, then the others — node join tokens
// today), and anonymous last. The first authenticator that recognises the credential
// decides; a credential that is presented and invalid is a 401, never anonymous.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../types.js';
import {
  ANONYMOUS,
  AuthenticationError,
  UNAUTHENTICATED,
  withAuthenticatedGroup,
  type AuthResponse,
  type RequestAuthenticator,
  type TokenAuthenticator,
} from './authenticator.js';

export const ANONYMOUS_USER: UserInfo = Object.freeze({ username: ANONYMOUS, groups: Object.freeze([UNAUTHENTICATED]) as string[] });

export interface AuthenticatorChainOptions {
  request?: RequestAuthenticator[];
  tokens?: TokenAuthenticator[];
  /** --anonymous-auth (default true): requests without credentials are system:anonymous. */
  anonymous?: boolean;
}

/** The bearer token of the Authorization header, as kube-apiserver's bearertoken authenticator reads it. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
  return m?.[1];
}

export class AuthenticatorChain {
  private readonly request: RequestAuthenticator[];
  private readonly tokens: TokenAuthenticator[];
  private readonly anonymous: boolean;

  constructor(opts: AuthenticatorChainOptions) {
    this.request = opts.request ?? [];
    this.tokens = opts.tokens ?? [];
    this.anonymous = opts.anonymous ?? true;
  }

  /** The requesting user; undefined means 401 (bad credentials, or anonymous turned off). */
  authenticate(req: IncomingMessage): UserInfo | undefined {
    try {
      for (const a of this.request) {
        const r = a.authenticateRequest(req);
        if (r) return withAuthenticatedGroup(r.user);
      }
      const token = bearerToken(req);
      if (token) {
        const r = this.authenticateToken(token);
        return r ? r.user : undefined;
      }
    } catch (err) {
      if (err instanceof AuthenticationError) return undefined;
      throw err;
    }
    return this.anonymous ? ANONYMOUS_USER : undefined;
  }

  /** A bearer token alone (also TokenReview's question). Throws AuthenticationError for a token of a known kind that does not hold. */
  authenticateToken(token: string, audiences?: string[]): AuthResponse | undefined {
    for (const a of this.tokens) {
      const r = a.authenticateToken(token, audiences);
      if (r) return { ...r, user: withAuthenticatedGroup(r.user) };
    }
    return undefined;
  }
}
