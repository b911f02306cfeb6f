import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ServiceAccountTokenManager, type RequestToken } from '../../../src/kubelet/volumes/token-manager.js';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' }, spec: { serviceAccountName: 'robot', containers: [] } };

test('tokens are requested bound to the pod, reused, and fetched anew at 80% of their lifetime', async () => {
  let now = 1_000_000;
  const asked: Parameters<RequestToken>[] = [];
  let n = 0;
  const due: string[] = [];
  const m = new ServiceAccountTokenManager(
    async (...args) => {
      asked.push(args);
      return { token: `t${++n}`, expiration: now + args[2].expirationSeconds * 1000 };
    },
    (uid) => due.push(uid),
    () => now,
  );
  assert.equal(await m.token(pod, { expirationSeconds: 3607 }), 't1');
  assert.deepEqual(asked[0], ['ns', 'robot', { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'uid-1' } }]);
  now += 3607_000 * 0.79;
  assert.equal(await m.token(pod, { expirationSeconds: 3607 }), 't1');
  now += 3607_000 * 0.02;
  assert.equal(await m.token(pod, { expirationSeconds: 3607 }), 't2');
  // Another audience is another token.
  assert.equal(await m.token(pod, { audience: 'vault', expirationSeconds: 3607 }), 't3');
  assert.deepEqual(asked[2]![2].audiences, ['vault']);
  m.forgetPod('uid-1');
  assert.equal(await m.token(pod, { expirationSeconds: 3607 }), 't4');
  m.stop();
});

test('a long-lived token is refreshed after 24 hours at the latest', () => {
  const m = new ServiceAccountTokenManager(
    async () => ({ token: '', expiration: 0 }),
    () => {},
    () => 0,
  );
  const issued = 0;
  assert.equal(m.refreshAt({ issued, expiration: 7 * 24 * 3600_000 }), 24 * 3600_000);
  assert.equal(m.refreshAt({ issued, expiration: 3600_000 }), 0.8 * 3600_000);
});

test('a token coming due re-renders its pod', async () => {
  const now = 0;
  const due: string[] = [];
  const m = new ServiceAccountTokenManager(
    async () => ({ token: 'x', expiration: now + 50 }),
    (uid) => due.push(uid),
    () => now,
  );
  await m.token(pod, { expirationSeconds: 600 });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(due, ['uid-1']);
  m.stop();
});
