// --authorization-mode: the authorizers asked in order, the first that allows or denies
// decides; members of system:masters are allowed before any is asked, as kube-apiserver's
// privileged-group authorizer does.
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from './types.js';

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];
export const DEFAULT_AUTHORIZATION_MODES: AuthorizationMode[] = ['Node', 'RBAC'];

/** Parses the flag's comma list; an unknown or repeated mode is an error naming it. */
export function parseAuthorizationModes(value: string): AuthorizationMode[] {
  const modes = value
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (!modes.length) throw new Error('--authorization-mode: at least one authorization mode must be passed');
  const seen = new Set<string>();
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m))
      throw new Error(`--authorization-mode: authorization mode "${m}" is not supported (supported: ${AUTHORIZATION_MODES.join(', ')})`);
    if (seen.has(m)) throw new Error(`--authorization-mode: "${m}" given more than once`);
    seen.add(m);
  }
  return modes as AuthorizationMode[];
}

export const alwaysDeny: Authorizer = { authorize: () => ({ decision: 'deny', reason: 'Everything is forbidden.' }) };

const SYSTEM_MASTERS = 'system:masters';

export class UnionAuthorizer implements Authorizer {
  constructor(private readonly members: Authorizer[]) {}

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { decision: 'allow', reason: '' };
    let reasons: string[] | undefined;
    for (const m of this.members) {
      const r = m.authorize(a);
      if (r.decision !== 'no-opinion') return r;
      if (r.reason) (reasons ??= []).push(r.reason);
    }
    return { decision: 'no-opinion', reason: reasons ? reasons.join('\n') : '' };
  }
}
