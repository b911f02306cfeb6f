// Authorization through the apiserver's handler: the bootstrap policy, RBAC decisions and
// their Forbidden messages, escalation prevention, access reviews, the Node authorizer and
// NodeRestriction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../src/api/builtin.js';
import type { KObject } from '../../src/api/types.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { parseResourcePath } from '../../src/apiserver/request-info.js';
import type { UserInfo } from '../../src/apiserver/types.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { ADMIN, NODE_A, handlerCalls, user } from '../helpers/handler-calls.js';
import { reconcileBootstrapPolicy } from '../../src/apiserver/auth/rbac/reconcile.js';
import { alwaysDeny, parseAuthorizationModes, UnionAuthorizer } from '../../src/apiserver/auth/union.js';
import { alwaysAllow } from '../../src/apiserver/auth/types.js';
import { Client } from '../../src/client/client.js';
import type { ApiError } from '../../src/client/transport.js';

let api: ApiServer;
const { call, fails, canI } = handlerCalls(() => api);

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: { kind: string; name: string }, subjects: KObject[], namespace?: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role },
  subjects,
});

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as any).bootstrap();
  await api.authorization.start();
  for (const n of ['team-a', 'team-b']) await call(ADMIN, 'POST', '/api/v1/namespaces', ns(n));
  const rb = (name: string, role: string, who: KObject) =>
    call(
      ADMIN,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings',
      binding('RoleBinding', name, { kind: 'ClusterRole', name: role }, [who], 'team-a'),
    );
  await rb('viewers', 'view', { kind: 'User', name: 'vera', apiGroup: 'rbac.authorization.k8s.io' });
  await rb('editors', 'edit', { kind: 'Group', name: 'editors', apiGroup: 'rbac.authorization.k8s.io' });
  await rb('admins', 'admin', { kind: 'User', name: 'ada', apiGroup: 'rbac.authorization.k8s.io' });
  // Aggregation fills admin/edit/view shortly after start.
  await until(async () => (await call(ADMIN, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).rules?.length > 0, 'view aggregated');
  await until(async () => (await call(ADMIN, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin')).rules?.length > 20, 'admin aggregated');
});

after(async () => {
  await api.stop();
});

describe('bootstrap policy', () => {
  it('creates the named roles and bindings of kube-apiserver', async () => {
    const crs = await call(ADMIN, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles');
    const names = crs.items.map((r: KObject) => r.metadata!.name);
    for (const n of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:discovery',
      'system:basic-user',
      'system:public-info-viewer',
      'system:node',
      'system:node-proxier',
      'system:kube-scheduler',
      'system:kube-controller-manager',
      'system:kube-dns',
      'system:controller:deployment-controller',
      'system:certificates.k8s.io:kube-apiserver-client-approver',
    ])
      assert.ok(names.includes(n), `clusterrole ${n}`);
    const crb = await call(ADMIN, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/cluster-admin');
    assert.deepEqual(crb.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }]);
    const edit = await call(ADMIN, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/edit');
    assert.equal(edit.metadata!.labels['rbac.authorization.k8s.io/aggregate-to-admin'], 'true');
    assert.equal(edit.metadata!.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
  });

  it('puts removed rules back on the next start, but keeps a role marked autoupdate=false as it is', async () => {
    const path = '/apis/rbac.authorization.k8s.io/v1/clusterroles/';
    await call(ADMIN, 'PATCH', `${path}system:kube-dns`, { rules: [] });
    await call(ADMIN, 'PATCH', `${path}system:volume-scheduler`, {
      metadata: { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['persistentvolumes'] }],
    });
    await reconcileBootstrapPolicy(api.storage);
    assert.equal((await call(ADMIN, 'GET', `${path}system:kube-dns`)).rules.length, 2);
    assert.deepEqual((await call(ADMIN, 'GET', `${path}system:volume-scheduler`)).rules, [
      { verbs: ['get'], apiGroups: [''], resources: ['persistentvolumes'] },
    ]);
  });

  it('aggregates a new ClusterRole labelled aggregate-to-view into view, edit and admin', async () => {
    await call(ADMIN, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }],
    });
    for (const role of ['view', 'edit', 'admin'])
      await until(
        async () =>
          (await call(ADMIN, 'GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`)).rules.some((r: KObject) => r.resources?.includes('widgets')),
        `${role} has widgets`,
      );
  });
});

describe('RBAC decisions', () => {
  it('answers the can-i matrix of the bootstrap roles', async () => {
    const vera = user('vera');
    const ed = user('eddie', 'editors');
    const ada = user('ada');
    const nobody = user('nobody');
    const matrix: [UserInfo, string, string, string | undefined, boolean][] = [
      [vera, 'get', 'pods', 'team-a', true],
      [vera, 'list', 'deployments', 'team-a', false], // apps group: asked below with the group
      [vera, 'create', 'pods', 'team-a', false],
      [vera, 'get', 'pods/log', 'team-a', true],
      [vera, 'get', 'secrets', 'team-a', false],
      [vera, 'get', 'pods', 'team-b', false],
      [ed, 'create', 'pods', 'team-a', true],
      [ed, 'get', 'secrets', 'team-a', false],
      [ed, 'delete', 'secrets', 'team-a', true],
      [ed, 'create', 'roles', 'team-a', false],
      [ed, 'create', 'pods/exec', 'team-a', true],
      [ada, 'list', 'nodes', undefined, false],
      [nobody, 'list', 'pods', 'team-a', false],
      [nobody, 'create', 'selfsubjectaccessreviews', undefined, false],
    ];
    for (const [u, verb, res, namespace, want] of matrix) {
      const extra: Record<string, string> = res === 'roles' ? { group: 'rbac.authorization.k8s.io' } : {};
      assert.equal(await canI(u, verb, res, namespace, extra), want, `${u.username} ${verb} ${res} in ${namespace ?? 'cluster'}`);
    }
    assert.equal(await canI(vera, 'list', 'deployments', 'team-a', { group: 'apps' }), true);
    assert.equal(await canI(ada, 'create', 'roles', 'team-a', { group: 'rbac.authorization.k8s.io' }), true);
    assert.equal(await canI(ed, 'create', 'deployments', 'team-a', { group: 'apps' }), true);
    assert.equal(await canI(ed, 'create', 'rolebindings', 'team-a', { group: 'rbac.authorization.k8s.io' }), false);
  });

  it('grants a Role bound to a service account by name, only for the names listed', async () => {
    const sa = { username: 'system:serviceaccount:team-b:reader', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-b', 'system:authenticated'] };
    await call(ADMIN, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'cm-reader', namespace: 'team-b' },
      rules: [
        { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] },
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['app-token'] },
      ],
    });
    await call(
      ADMIN,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings',
      binding('RoleBinding', 'reader', { kind: 'Role', name: 'cm-reader' }, [{ kind: 'ServiceAccount', name: 'reader' }], 'team-b'),
    );
    await call(ADMIN, 'POST', '/api/v1/namespaces/team-b/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '1' } });
    assert.equal((await call(sa, 'GET', '/api/v1/namespaces/team-b/configmaps')).items.length, 1);
    assert.equal(await canI(sa, 'get', 'secrets', 'team-b', { name: 'app-token' }), true);
    assert.equal(await canI(sa, 'get', 'secrets', 'team-b', { name: 'other' }), false);
    assert.equal(await canI(sa, 'list', 'secrets', 'team-b'), false);
    assert.equal(await canI(sa, 'get', 'configmaps', 'team-a'), false);
    const e = await fails(sa, 'DELETE', '/api/v1/namespaces/team-b/configmaps/c1');
    assert.equal(e.code, 403);
    assert.equal(
      e.message,
      'configmaps "c1" is forbidden: User "system:serviceaccount:team-b:reader" cannot delete resource "configmaps" in API group "" in the namespace "team-b"',
    );
  });

  it('words Forbidden as kube-apiserver: namespaced, cluster scope, subresource, group', async () => {
    const bob = user('bob');
    const cases: [string, string, string][] = [
      ['GET', '/api/v1/namespaces/a/secrets', 'secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "a"'],
      ['GET', '/api/v1/nodes', 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope'],
      ['GET', '/api/v1/namespaces/a/pods/p/log', 'pods "p" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "a"'],
      [
        'GET',
        '/apis/apps/v1/namespaces/a/deployments?watch=true',
        'deployments.apps is forbidden: User "bob" cannot watch resource "deployments" in API group "apps" in the namespace "a"',
      ],
      [
        'GET',
        '/api/v1/namespaces/team-a',
        'namespaces "team-a" is forbidden: User "bob" cannot get resource "namespaces" in API group "" in the namespace "team-a"',
      ],
    ];
    for (const [method, path, msg] of cases) {
      const e = await fails(bob, method, path);
      assert.equal(e.code, 403, path);
      assert.equal(e.reason, 'Forbidden');
      assert.equal(e.message, msg);
    }
    // A binding to a role that does not exist is named in the reason.
    await call(
      ADMIN,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings',
      binding('RoleBinding', 'dangling', { kind: 'Role', name: 'missing' }, [{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }], 'team-b'),
    );
    const e = await fails(bob, 'GET', '/api/v1/namespaces/team-b/pods');
    assert.match(e.message, /: RBAC: role\.rbac\.authorization\.k8s\.io "missing" not found$/);
  });

  it('answers SubjectAccessReview and LocalSubjectAccessReview for other users, with the reason', async () => {
    const r = await call(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'vera', groups: ['system:authenticated'], resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'team-a' } },
    });
    assert.equal(r.status.allowed, true);
    assert.equal(r.status.reason, 'RBAC: allowed by RoleBinding "viewers/team-a" of ClusterRole "view" to User "vera"');
    const nr = await call(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'vera', groups: ['system:authenticated'], nonResourceAttributes: { verb: 'get', path: '/apis/apps' } },
    });
    assert.equal(nr.status.allowed, true);
    const metrics = await call(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'vera', groups: ['system:authenticated'], nonResourceAttributes: { verb: 'get', path: '/metrics' } },
    });
    assert.equal(metrics.status.allowed, false);
    const anon = await call(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'system:anonymous', groups: ['system:unauthenticated'], nonResourceAttributes: { verb: 'get', path: '/version' } },
    });
    assert.equal(anon.status.allowed, true);
    const local = await call(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/namespaces/team-b/localsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      metadata: { namespace: 'team-b' },
      spec: { user: 'vera', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'team-b' } },
    });
    assert.equal(local.status.allowed, false);
    const bad = await fails(ADMIN, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'vera' },
    });
    assert.equal(bad.code, 422);
    // Asking about others needs create on subjectaccessreviews.
    assert.equal((await fails(user('vera'), 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {})).code, 403);
  });

  it('lists what a user may do in a namespace (SelfSubjectRulesReview)', async () => {
    const r = await call(user('vera'), 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace: 'team-a' },
    });
    assert.ok(r.status.resourceRules.some((x: KObject) => x.resources.includes('pods') && x.verbs.includes('list')));
    assert.ok(r.status.resourceRules.some((x: KObject) => x.resources.includes('selfsubjectaccessreviews')));
    assert.ok(r.status.nonResourceRules.some((x: KObject) => x.nonResourceURLs.includes('/api')));
    assert.equal(r.status.incomplete, false);
  });
});

describe('escalation prevention', () => {
  it('refuses a Role with more than its author holds, naming what is missing', async () => {
    const ada = user('ada');
    const e = await fails(ada, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'too-much' },
      rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    });
    assert.equal(e.code, 403);
    assert.equal(
      e.message,
      'roles.rbac.authorization.k8s.io "too-much" is forbidden: user "ada" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
    );
    // What ada holds in team-a she may put in a Role and bind.
    await call(ada, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    });
    await call(
      ada,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings',
      binding(
        'RoleBinding',
        'pod-readers',
        { kind: 'Role', name: 'pod-reader' },
        [{ kind: 'User', name: 'pat', apiGroup: 'rbac.authorization.k8s.io' }],
        'team-a',
      ),
    );
    assert.equal(await canI(user('pat'), 'list', 'pods', 'team-a'), true);
    // Binding cluster-admin in her namespace grants more than she holds.
    const b = await fails(
      ada,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings',
      binding(
        'RoleBinding',
        'sneaky',
        { kind: 'ClusterRole', name: 'cluster-admin' },
        [{ kind: 'User', name: 'ada', apiGroup: 'rbac.authorization.k8s.io' }],
        'team-a',
      ),
    );
    assert.equal(b.code, 403);
    assert.match(b.message, /^rolebindings\.rbac\.authorization\.k8s\.io "sneaky" is forbidden: user "ada" .* not currently held:\n/);
  });

  it('lets the escalate and bind verbs through', async () => {
    await call(ADMIN, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'role-manager' },
      rules: [{ verbs: ['create', 'escalate', 'bind'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'] }],
    });
    await call(
      ADMIN,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      binding('ClusterRoleBinding', 'role-manager', { kind: 'ClusterRole', name: 'role-manager' }, [
        { kind: 'User', name: 'rm', apiGroup: 'rbac.authorization.k8s.io' },
      ]),
    );
    await call(user('rm'), 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'all' },
      rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    });
    await call(
      user('rm'),
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings',
      binding('RoleBinding', 'all', { kind: 'Role', name: 'all' }, [{ kind: 'User', name: 'rm', apiGroup: 'rbac.authorization.k8s.io' }], 'team-b'),
    );
  });
});

describe('Node authorizer and NodeRestriction', () => {
  before(async () => {
    for (const n of ['node-a', 'node-b']) await call(ADMIN, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
    for (const [pod, node, secret] of [
      ['pa', 'node-a', 'sa'],
      ['pb', 'node-b', 'sb'],
    ] as const) {
      await call(ADMIN, 'POST', '/api/v1/namespaces/team-a/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret }, data: {} });
      await call(ADMIN, 'POST', '/api/v1/namespaces/team-a/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod },
        spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 's', secret: { secretName: secret } }] },
      });
    }
  });

  it("reads the Secrets of its own pods and not those of another node's pods", async () => {
    assert.equal((await call(NODE_A, 'GET', '/api/v1/namespaces/team-a/secrets/sa')).metadata!.name, 'sa');
    const e = await fails(NODE_A, 'GET', '/api/v1/namespaces/team-a/secrets/sb');
    assert.equal(e.code, 403);
    assert.equal(
      e.message,
      `secrets "sb" is forbidden: User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "team-a": no relationship found between node 'node-a' and this object`,
    );
    assert.equal((await fails(NODE_A, 'GET', '/api/v1/namespaces/team-a/secrets')).code, 403);
    // A watch of one Secret by field selector is about that Secret.
    const w = await api.handler.watch(
      {
        ...parseResourcePath('GET', '/api/v1/namespaces/team-a/secrets', new URLSearchParams())!,
        verb: 'watch',
        query: new URLSearchParams('fieldSelector=metadata.name=sa'),
        user: NODE_A,
      },
      { send() {}, end() {} },
    );
    w.stop();
  });

  it('writes only its own Node and the status of its own pods', async () => {
    await call(NODE_A, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { x: 'y' } } });
    const e = await fails(NODE_A, 'PATCH', '/api/v1/nodes/node-b', { metadata: { labels: { x: 'y' } } });
    assert.equal(e.code, 403);
    assert.equal(e.message, 'nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"');
    await call(NODE_A, 'PATCH', '/api/v1/namespaces/team-a/pods/pa/status', { status: { phase: 'Running' } });
    const s = await fails(NODE_A, 'PATCH', '/api/v1/namespaces/team-a/pods/pb/status', { status: { phase: 'Running' } });
    assert.equal(s.message, 'pods "pb" is forbidden: node "node-a" can only update pod status for pods with spec.nodeName set to itself');
    const d = await fails(NODE_A, 'DELETE', '/api/v1/namespaces/team-a/pods/pb');
    assert.equal(d.code, 403);
    const c = await fails(NODE_A, 'POST', '/api/v1/namespaces/team-a/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'not-mirror' },
      spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(c.code, 403);
    assert.equal((await fails(NODE_A, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles')).code, 403);
  });
});

describe('authorization modes and transports', () => {
  it('parses --authorization-mode and refuses unknown or repeated modes', () => {
    assert.deepEqual(parseAuthorizationModes('Node,RBAC'), ['Node', 'RBAC']);
    assert.deepEqual(parseAuthorizationModes(' AlwaysAllow '), ['AlwaysAllow']);
    assert.throws(() => parseAuthorizationModes('RBAC,ABAC'), /authorization mode "ABAC" is not supported/);
    assert.throws(() => parseAuthorizationModes('RBAC,RBAC'), /"RBAC" given more than once/);
    assert.throws(() => parseAuthorizationModes(''), /at least one/);
  });

  it('asks the modes in order; system:masters is allowed even under AlwaysDeny', () => {
    const deny = new UnionAuthorizer([alwaysDeny, alwaysAllow]);
    const a = { user: user('x'), verb: 'get', resourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'a' };
    assert.equal(deny.authorize(a).decision, 'deny');
    assert.equal(deny.authorize({ ...a, user: ADMIN }).decision, 'allow');
    assert.equal(new UnionAuthorizer([alwaysAllow, alwaysDeny]).authorize(a).decision, 'allow');
  });

  it('holds in-process clients to their identity too', async () => {
    const client = new Client(api.transport({ username: 'vera', groups: ['system:authenticated'] }, 'test/v1'));
    assert.equal((await client.pods.list({ namespace: 'team-a' })).items.length >= 0, true);
    await assert.rejects(client.secrets.list({ namespace: 'team-a' }), (err: ApiError) => {
      assert.equal(err.code, 403);
      assert.equal(err.message, 'secrets is forbidden: User "vera" cannot list resource "secrets" in API group "" in the namespace "team-a"');
      return true;
    });
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      client.secrets.watch({ namespace: 'team-a' }, {
        onEvent: () => events.push('event'),
        onClose: (err: unknown) => (assert.equal((err as ApiError)?.code, 403), resolve()),
      } as any);
    });
    assert.deepEqual(events, []);
  });
});
