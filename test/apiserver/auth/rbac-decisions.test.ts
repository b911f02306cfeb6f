// RBAC decisions asked again and again for the same user object, as a connection asks them:
// what the authorizer keeps between requests (a user's subject keys, the answer of a grant)
// must follow the bindings as they change, and never carry one user's answer to another.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../../src/api/builtin.js';
import { ApiServer } from '../../../src/apiserver/apiserver.js';
import { withAuthenticatedGroup } from '../../../src/apiserver/auth/authenticator.js';
import type { AuthorizationAttributes } from '../../../src/apiserver/auth/types.js';
import type { UserInfo } from '../../../src/apiserver/types.js';
import { MemoryStore } from '../../../src/storage/memory.js';
import { ADMIN, handlerCalls } from '../../helpers/handler-calls.js';

let api: ApiServer;
const { call } = handlerCalls(() => api);
const RBAC = '/apis/rbac.authorization.k8s.io/v1/namespaces/team/';

const getConfigMap = (user: UserInfo, name = 'settings'): AuthorizationAttributes => ({
  user,
  verb: 'get',
  resourceRequest: true,
  apiGroup: '',
  apiVersion: 'v1',
  resource: 'configmaps',
  namespace: 'team',
  name,
});

function bind(name: string, role: string, group: string) {
  return call(ADMIN, 'POST', `${RBAC}rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  });
}

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
  await api.authorization.start();
  await call(ADMIN, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  for (const [name, rule] of [
    ['reader', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }],
    ['one-name', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }],
  ] as const)
    await call(ADMIN, 'POST', `${RBAC}roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules: [rule] });
});

after(async () => {
  await api.stop();
});

describe('RBAC decisions for a user object kept across requests', () => {
  it('answers each request of the same user alike, naming the binding, and follows the binding away', async () => {
    const authz = api.authorization.authorizer;
    const user = withAuthenticatedGroup({ username: 'dana', groups: ['readers'] });
    assert.equal(authz.authorize(getConfigMap(user)).decision, 'no-opinion');
    await bind('readers', 'reader', 'readers');
    for (let i = 0; i < 3; i++) {
      const r = authz.authorize(getConfigMap(user, `cm-${i}`));
      assert.equal(r.decision, 'allow');
      assert.equal(r.reason, 'RBAC: allowed by RoleBinding "readers/team" of Role "reader" to Group "readers"');
    }
    await call(ADMIN, 'DELETE', `${RBAC}rolebindings/readers`);
    assert.equal(authz.authorize(getConfigMap(user)).decision, 'no-opinion');
  });

  it('does not give one user the answer another got from a different group', async () => {
    const authz = api.authorization.authorizer;
    await bind('narrow', 'one-name', 'narrow');
    const narrow = withAuthenticatedGroup({ username: 'erin', groups: ['narrow'] });
    const other = withAuthenticatedGroup({ username: 'erin', groups: ['elsewhere'] });
    const allowed = authz.authorize(getConfigMap(narrow));
    assert.equal(allowed.decision, 'allow');
    assert.equal(allowed.reason, 'RBAC: allowed by RoleBinding "narrow/team" of Role "one-name" to Group "narrow"');
    // resourceNames still decide per request: the same grant does not allow another name.
    assert.equal(authz.authorize(getConfigMap(narrow, 'other')).decision, 'no-opinion');
    assert.equal(authz.authorize(getConfigMap(other)).decision, 'no-opinion');
  });

  it('adds system:authenticated once per user object, without changing the object it was given', () => {
    const given: UserInfo = { username: 'frank', groups: ['team'] };
    const a = withAuthenticatedGroup(given);
    assert.equal(withAuthenticatedGroup(given), a);
    assert.deepEqual(a.groups, ['team', 'system:authenticated']);
    assert.deepEqual(given.groups, ['team']);
    const again = withAuthenticatedGroup({ username: 'frank', groups: ['team'] });
    assert.notEqual(again, a);
    assert.deepEqual(again, a);
  });
});
