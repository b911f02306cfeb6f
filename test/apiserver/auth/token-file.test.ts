import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTokenFile, staticTokenAuthenticator } from '../../../src/apiserver/auth/token-file.js';

test('a token file is read as kube-apiserver reads it: quoted groups, optional fourth column, blank lines skipped', () => {
  const tokens = parseTokenFile('t1,alice,uid-a,"dev,qa"\n\n  \nt2,bob,uid-b\nt3,"carol, jr",uid-c,ops\n');
  assert.deepEqual(tokens.get('t1'), { username: 'alice', uid: 'uid-a', groups: ['dev', 'qa'] });
  assert.deepEqual(tokens.get('t2'), { username: 'bob', uid: 'uid-b', groups: [] });
  assert.deepEqual(tokens.get('t3'), { username: 'carol, jr', uid: 'uid-c', groups: ['ops'] });
  assert.equal(tokens.size, 3);
  const a = staticTokenAuthenticator(tokens);
  assert.equal(a.authenticateToken('t1')?.user.username, 'alice');
  assert.equal(a.authenticateToken('nope'), undefined);
});

test('a line with fewer than three fields fails the start and names the line', () => {
  assert.throws(() => parseTokenFile('t1,alice,uid\nt2,bob\n', 'tokens.csv'), /tokens\.csv, line 2: token file is missing fields/);
});
