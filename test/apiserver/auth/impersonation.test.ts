import assert from 'node:assert/strict';
import { test } from 'node:test';
import { impersonate } from '../../../src/apiserver/auth/impersonation.js';
import type { AuthorizationAttributes, Authorizer } from '../../../src/apiserver/auth/types.js';
import { alwaysAllow } from '../../../src/apiserver/auth/types.js';
import { StatusError } from '../../../src/apiserver/status.js';

const admin = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** Records every question and allows only what `allow` says. */
function fakeAuthorizer(allow: (a: AuthorizationAttributes) => boolean): Authorizer & { asked: AuthorizationAttributes[] } {
  const asked: AuthorizationAttributes[] = [];
  return {
    asked,
    authorize(a) {
      asked.push(a);
      return allow(a) ? { decision: 'allow' } : { decision: 'no-opinion' };
    },
  };
}

function status(fn: () => unknown): { code: number; message: string; reason: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    const s = err.toStatus() as { code: number; message: string; reason: string };
    return s;
  }
  return assert.fail('expected a refusal');
}

test('no impersonation headers: the requester stays itself', () => {
  assert.equal(impersonate(admin, {}, alwaysAllow), admin);
});

test('impersonating a user and groups asks the impersonate verb for each and acts as them', () => {
  const authz = fakeAuthorizer(() => true);
  const raw = [
    'Impersonate-User',
    'bob',
    'Impersonate-Group',
    'devs',
    'Impersonate-Group',
    'ops',
    'Impersonate-Extra-Scopes',
    'view',
    'Impersonate-Uid',
    'u-1',
  ];
  const u = impersonate(admin, { 'impersonate-user': 'bob', 'impersonate-uid': 'u-1' }, authz, raw);
  assert.deepEqual(u, { username: 'bob', uid: 'u-1', groups: ['devs', 'ops', 'system:authenticated'], extra: { scopes: ['view'] } });
  assert.deepEqual(
    authz.asked.map((a) => [a.verb, a.apiGroup, a.resource, a.subresource, a.name]),
    [
      ['impersonate', '', 'users', undefined, 'bob'],
      ['impersonate', '', 'groups', undefined, 'devs'],
      ['impersonate', '', 'groups', undefined, 'ops'],
      ['impersonate', 'authentication.k8s.io', 'uids', undefined, 'u-1'],
      ['impersonate', 'authentication.k8s.io', 'userextras', 'scopes', 'view'],
    ],
  );
  assert.ok(authz.asked.every((a) => a.user === admin));
});

test('a refused impersonation is a 403 in Kubernetes words, never ignored', () => {
  const deny = fakeAuthorizer(() => false);
  const s = status(() => impersonate(admin, { 'impersonate-user': 'bob' }, deny, ['Impersonate-User', 'bob']));
  assert.equal(s.code, 403);
  assert.equal(s.reason, 'Forbidden');
  assert.equal(s.message, 'users "bob" is forbidden: User "admin" cannot impersonate resource "users" in API group "" at the cluster scope');
  // Allowed the user but not the group: still refused, naming the group.
  const userOnly = fakeAuthorizer((a) => a.resource === 'users');
  const g = status(() => impersonate(admin, { 'impersonate-user': 'bob' }, userOnly, ['Impersonate-User', 'bob', 'Impersonate-Group', 'system:masters']));
  assert.equal(g.message, 'groups "system:masters" is forbidden: User "admin" cannot impersonate resource "groups" in API group "" at the cluster scope');
});

test('a service account is impersonated through serviceaccounts in its namespace, with its groups', () => {
  const authz = fakeAuthorizer((a) => a.resource === 'serviceaccounts' && a.namespace === 'ns1' && a.name === 'robot');
  const u = impersonate(admin, { 'impersonate-user': 'system:serviceaccount:ns1:robot' }, authz, ['Impersonate-User', 'system:serviceaccount:ns1:robot']);
  assert.deepEqual(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
  const s = status(() =>
    impersonate(admin, { 'impersonate-user': 'system:serviceaccount:ns2:robot' }, authz, ['Impersonate-User', 'system:serviceaccount:ns2:robot']),
  );
  assert.equal(
    s.message,
    'serviceaccounts "robot" is forbidden: User "admin" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns2"',
  );
});

test('groups without a user are an error, not a silent no-op', () => {
  const s = status(() => impersonate(admin, {}, alwaysAllow, ['Impersonate-Group', 'devs']));
  assert.equal(s.code, 500);
  assert.match(s.message, /requested \[group devs\] without impersonating a user/);
});

test('impersonating system:anonymous puts it in system:unauthenticated', () => {
  const u = impersonate(admin, { 'impersonate-user': 'system:anonymous' }, alwaysAllow, ['Impersonate-User', 'system:anonymous']);
  assert.deepEqual(u.groups, ['system:unauthenticated']);
});
