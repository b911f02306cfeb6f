// Requests straight through an ApiServer's handler as a given user, for authorization tests:
// `call` answers the body, `fails` the StatusError a refused request throws, `canI` a
// SelfSubjectAccessReview's verdict.
import assert from 'node:assert/strict';
import type { KObject } from '../../src/api/types.js';
import type { ApiServer } from '../../src/apiserver/apiserver.js';
import { parseResourcePath } from '../../src/apiserver/request-info.js';
import { StatusError } from '../../src/apiserver/status.js';
import type { UserInfo } from '../../src/apiserver/types.js';

export const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
export const NODE_A: UserInfo = { username: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] };
export const user = (name: string, ...groups: string[]): UserInfo => ({ username: name, groups: [...groups, 'system:authenticated'] });

export function handlerCalls(api: () => ApiServer) {
  async function call(u: UserInfo, method: string, path: string, body?: unknown): Promise<KObject> {
    const query = new URLSearchParams(path.split('?')[1] ?? '');
    const info = parseResourcePath(method, path.split('?')[0]!, query)!;
    const r = await api().handler.handle({
      ...info,
      query,
      body,
      user: u,
      patchType: method === 'PATCH' ? 'application/merge-patch+json' : undefined,
    });
    return JSON.parse(JSON.stringify(r.body));
  }

  async function fails(u: UserInfo, method: string, path: string, body?: unknown): Promise<StatusError> {
    try {
      await call(u, method, path, body);
    } catch (err) {
      if (err instanceof StatusError) return err;
      throw err;
    }
    return assert.fail(`${method} ${path} as ${u.username} succeeded`);
  }

  async function canI(u: UserInfo, verb: string, resource: string, namespace?: string, extra: Record<string, string> = {}): Promise<boolean> {
    const [res, sub] = resource.split('/');
    const r = await call(u, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, resource: res, subresource: sub, namespace, ...extra } },
    });
    return r.status.allowed;
  }

  return { call, fails, canI };
}
