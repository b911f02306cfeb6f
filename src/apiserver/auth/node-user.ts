// The user a node's kubelet authenticates as: what its client certificate says (CN
// system:node:<name>, O system:nodes), as the Node authorizer and NodeRestriction expect.
import type { UserInfo } from '../types.js';

export function nodeUser(nodeName: string): UserInfo {
  return { username: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] };
}
