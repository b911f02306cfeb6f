// activeDeadline: when a pod's activeDeadlineSeconds runs out, counted from its startTime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { activeDeadline, DEADLINE_MESSAGE } from '../../../src/kubelet/pod/active-deadline.js';

const START = '2026-01-01T00:00:00Z';
const t0 = Date.parse(START);
const pod = (deadline?: number, status: Pod['status'] = { phase: 'Running', startTime: START }): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c' }], ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}) },
  status,
});

test('no deadline, no start time or a finished pod: nothing to enforce', () => {
  assert.deepEqual(activeDeadline(pod(), t0 + 1e9), { exceeded: false });
  assert.deepEqual(activeDeadline(pod(5, { phase: 'Pending' }), t0 + 1e9), { exceeded: false });
  assert.deepEqual(activeDeadline(pod(5, { phase: 'Succeeded', startTime: START }), t0 + 1e9), { exceeded: false });
});

test('before the deadline: how long until it; at and after it: DeadlineExceeded', () => {
  assert.deepEqual(activeDeadline(pod(5), t0 + 2000), { exceeded: false, inMs: 3000 });
  assert.deepEqual(activeDeadline(pod(5), t0 + 5000), { exceeded: true, reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE });
  assert.equal(activeDeadline(pod(0), t0).exceeded, true, 'zero means at once');
});
