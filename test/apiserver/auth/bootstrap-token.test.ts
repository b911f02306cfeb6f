import assert from 'node:assert/strict';
import test from 'node:test';
import { bootstrapTokenAuthenticator, bootstrapTokenSecret, JOIN_TOKEN_GROUP } from '../../../src/apiserver/auth/bootstrap-token.js';
import { bootstrapTokenOf, formatJoinToken, parseJoinToken } from '../../../src/apiserver/auth/join-token.js';
import type { KObject } from '../../../src/api/types.js';

test('join tokens carry the CA hash and a bootstrap token; older secrets stand for a derived one', () => {
  const token = formatJoinToken('PEM', 'abcdef.0123456789abcdef');
  assert.match(token, /^K10[0-9a-f]{64}::server:abcdef\.0123456789abcdef$/);
  assert.equal(parseJoinToken(token).secret, 'abcdef.0123456789abcdef');
  assert.equal(parseJoinToken('plain').caHash, undefined);
  assert.deepEqual(bootstrapTokenOf('abcdef.0123456789abcdef'), { id: 'abcdef', secret: '0123456789abcdef', token: 'abcdef.0123456789abcdef' });
  const old = bootstrapTokenOf('9f'.repeat(24));
  assert.match(old.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.deepEqual(bootstrapTokenOf('9f'.repeat(24)), old, 'the same secret always stands for the same token');
  assert.notEqual(bootstrapTokenOf('other').id, old.id);
});

test('bootstrap tokens authenticate as system:bootstrap:<id> while their Secret allows it and has not expired', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const secrets = new Map<string, KObject>();
  const put = (s: KObject) => secrets.set(s.metadata!.name, s);
  const auth = bootstrapTokenAuthenticator(
    (n) => secrets.get(n),
    () => now,
  );
  put(bootstrapTokenSecret('abcdef', '0123456789abcdef', { extraGroups: [JOIN_TOKEN_GROUP, 'not-a-bootstrap-group'] }));
  assert.deepEqual(auth('abcdef.0123456789abcdef'), { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', JOIN_TOKEN_GROUP] });
  assert.equal(auth('abcdef.0123456789abcdeX'), undefined, 'wrong secret');
  assert.equal(auth('abcdef.0123456789abcde'), undefined, 'wrong shape');
  assert.equal(auth('zzzzzz.0123456789abcdef'), undefined, 'no such Secret');
  assert.equal(auth('node:x:0123456789abcdef'), undefined);

  put(bootstrapTokenSecret('expire', '0123456789abcdef', { expiration: '2026-01-01T01:00:00Z' }));
  assert.equal(auth('expire.0123456789abcdef')?.username, 'system:bootstrap:expire');
  now = Date.parse('2026-01-01T01:00:01Z');
  assert.equal(auth('expire.0123456789abcdef'), undefined, 'expired');

  const wrongType = bootstrapTokenSecret('typexx', '0123456789abcdef');
  put({ ...wrongType, type: 'Opaque' });
  assert.equal(auth('typexx.0123456789abcdef'), undefined, 'not of type bootstrap.kubernetes.io/token');
  const noAuth = bootstrapTokenSecret('noauth', '0123456789abcdef');
  noAuth.data!['usage-bootstrap-authentication'] = Buffer.from('false').toString('base64');
  put(noAuth);
  assert.equal(auth('noauth.0123456789abcdef'), undefined, 'not for authentication');
  const deleting = bootstrapTokenSecret('delete', '0123456789abcdef');
  deleting.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
  put(deleting);
  assert.equal(auth('delete.0123456789abcdef'), undefined, 'being deleted');
});
