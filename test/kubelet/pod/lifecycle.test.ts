// PodLifecycle: the pod worker's states (syncing, terminating, terminated) and the transitions between them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PodLifecycle } from '../../../src/kubelet/pod/lifecycle.js';

const pod = (meta: Pod['metadata'] = {}, grace?: number): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }) },
});
const deleting = (grace?: number, specGrace?: number) =>
  pod({ deletionTimestamp: '2026-01-01T00:00:00Z', ...(grace === undefined ? {} : { deletionGracePeriodSeconds: grace }) }, specGrace);

test('pod lifecycle: a running pod stays syncing; stopping its sidecars is remembered there', () => {
  const l = new PodLifecycle();
  assert.deepEqual(l.observe(pod()), { state: 'syncing', sidecarsStopped: false });
  l.sidecarsStopped();
  assert.deepEqual(l.observe(pod()), { state: 'syncing', sidecarsStopped: true });
  // Transitions that belong to later states do nothing while syncing.
  l.terminated();
  l.apiDeleted();
  assert.equal(l.state, 'syncing');
});

test('pod lifecycle: deletion turns syncing to terminating with the newest grace period, then terminated, then API-deleted', () => {
  const l = new PodLifecycle();
  assert.deepEqual(l.observe(deleting(30)), { state: 'terminating', graceSeconds: 30 });
  // A failed teardown is retried with the grace the API gives now (a second, shorter DELETE).
  assert.deepEqual(l.observe(deleting(5)), { state: 'terminating', graceSeconds: 5 });
  assert.deepEqual(l.observe(deleting(undefined, 12)), { state: 'terminating', graceSeconds: 12 });
  assert.deepEqual(l.observe(deleting()), { state: 'terminating', graceSeconds: 0 });
  l.sidecarsStopped();
  assert.equal(l.state, 'terminating');
  l.terminated();
  assert.deepEqual(l.status, { state: 'terminated', apiDeleted: false });
  l.apiDeleted();
  assert.deepEqual(l.status, { state: 'terminated', apiDeleted: true });
  // Terminated is final: neither a newer pod nor its disappearance moves it back.
  assert.deepEqual(l.observe(deleting(30)), { state: 'terminated', apiDeleted: true });
  assert.deepEqual(l.observe(undefined), { state: 'terminated', apiDeleted: true });
});

test('pod lifecycle: a pod gone from the API terminates at once (no grace)', () => {
  const l = new PodLifecycle();
  assert.deepEqual(l.observe(undefined), { state: 'terminating', graceSeconds: 0 });
  const m = new PodLifecycle();
  m.observe(deleting(30));
  assert.deepEqual(m.observe(undefined), { state: 'terminating', graceSeconds: 0 });
});
