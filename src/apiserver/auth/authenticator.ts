// The authenticator vocabulary, as kube-apiserver's authenticator.Request and Token
// interfaces: each one either recognises a credential (a user, perhaps with the audiences
// the credential was meant for) or has no opinion, or says the credential is invalid.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../types.js';

export interface AuthResponse {
  user: UserInfo;
  /** The audiences the credential was issued for (service-account tokens). */
  audiences?: string[];
}

/** A credential presented but not accepted: the chain answers 401 rather than trying anonymous. */
export class AuthenticationError extends Error {}

/** Looks at a bearer token; undefined when the token is not of its kind. Throws AuthenticationError when it is, but invalid. */
export interface TokenAuthenticator {
  authenticateToken(token: string, audiences?: string[]): AuthResponse | undefined;
}

/** Looks at the whole request (its TLS connection, its headers). */
export interface RequestAuthenticator {
  authenticateRequest(req: IncomingMessage): AuthResponse | undefined;
}

export const AUTHENTICATED = 'system:authenticated';
export const UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS = 'system:anonymous';

/** Adds system:authenticated unless the user already has it (or is anonymous), as kube-apiserver's AuthenticatedGroupAdder. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === ANONYMOUS || user.groups.includes(AUTHENTICATED) || user.groups.includes(UNAUTHENTICATED)) return user;
  // One answer per authenticated user object (a connection's certificate user is one object),
  // so that what authorizers derive from a user object holds for all its requests.
  let added = withGroup.get(user);
  if (!added) withGroup.set(user, (added = { ...user, groups: [...user.groups, AUTHENTICATED] }));
  return added;
}

const withGroup = new WeakMap<UserInfo, UserInfo>();
