import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ControllerExpectations } from '../../src/controllers/lib/expectations.js';
import { scaledValue } from '../../src/controllers/lib/int-or-percent.js';
import { podsToDelete, slowStartBatch } from '../../src/controllers/lib/pod-control.js';
import { computeHash, equalIgnoreHash, maxSurge, maxUnavailable } from '../../src/controllers/deployment/util.js';

test('expectations: satisfied only after every expected creation and deletion was observed, or after the TTL', () => {
  let now = 0;
  const e = new ControllerExpectations(() => now, 1000);
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a');
  assert.equal(e.satisfied('ns/rs'), false, 'seeing one deletion twice counts once');
  e.deletionObserved('ns/rs', 'ns/b');
  assert.equal(e.satisfied('ns/rs'), true);
  e.expectCreations('ns/rs', 3);
  e.lowerCreations('ns/rs', 1);
  assert.deepEqual(e.pending('ns/rs'), { add: 2, del: 0 });
  now = 1001;
  assert.equal(e.satisfied('ns/rs'), true, 'expired expectations no longer block');
});

function pod(
  name: string,
  o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: number } = {},
): Pod {
  return {
    metadata: {
      name,
      uid: name,
      creationTimestamp: new Date(o.created ?? 0).toISOString(),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: new Date(o.readySince ?? 0).toISOString() }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, ready: true, image: '', imageID: '' }],
    },
  } as Pod;
}

test('pod ranking: unscheduled, pending, not ready, low cost, doubled up, young, restarting go first', () => {
  const now = 10_000_000;
  const by = (pods: Pod[], n: number, related: Pod[] = pods) => podsToDelete(pods, related, n, now).map((p) => p.metadata!.name);
  assert.deepEqual(by([pod('sched', { node: 'n1' }), pod('unsched')], 1), ['unsched']);
  assert.deepEqual(by([pod('run', { node: 'n1' }), pod('pend', { node: 'n1', phase: 'Pending' }), pod('unk', { node: 'n1', phase: 'Unknown' })], 2), [
    'pend',
    'unk',
  ]);
  assert.deepEqual(by([pod('r', { node: 'n1' }), pod('nr', { node: 'n1', ready: false })], 1), ['nr']);
  assert.deepEqual(by([pod('cheap', { node: 'n1', cost: -5 }), pod('dear', { node: 'n1', cost: 5 })], 1), ['cheap']);
  const spread = [pod('alone', { node: 'n1' }), pod('dup1', { node: 'n2' }), pod('dup2', { node: 'n2' })];
  assert.ok(by(spread, 1)[0]!.startsWith('dup'), 'a pod sharing its node goes before one alone');
  // Ready for 1 s vs ready for ~3 hours: the younger goes first.
  assert.deepEqual(by([pod('old', { node: 'n1', readySince: 0 }), pod('young', { node: 'n1', readySince: now - 1000 })], 1), ['young']);
  assert.deepEqual(by([pod('calm', { node: 'n1' }), pod('flaky', { node: 'n1', restarts: 7 })], 1), ['flaky']);
  assert.equal(podsToDelete([pod('a'), pod('b')], [], 5, now).length, 2);
});

test('slowStartBatch: batches of 1, 2, 4 … and stops at the first failing batch', async () => {
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    calls++;
    if (calls > 3) throw new Error('quota');
  });
  // Batches 1 and 2 succeed (3 calls); batch 4 fails — 4 calls made, 3 succeeded in all.
  assert.equal(calls, 7);
  assert.equal(r.ok, 3);
  assert.equal(r.tried, 7);
  assert.equal(r.error?.message, 'quota');
  calls = 0;
  assert.deepEqual(
    await slowStartBatch(5, 1, async () => {
      calls++;
    }),
    { ok: 5, tried: 5 },
  );
  // Each call learns its index, so callers can create item i of a list.
  const seen: number[] = [];
  await slowStartBatch(7, 1, async (i) => {
    seen.push(i);
  });
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
});

test('deployment hash and fenceposts', () => {
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'httpd' }] } };
  const h = computeHash(t);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(structuredClone(t)), h, 'stable');
  assert.notEqual(computeHash(t, 1), h, 'collisionCount changes the hash');
  assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'web', image: 'httpd:2' }] } }), h);
  assert.ok(equalIgnoreHash(t, { metadata: { labels: { app: 'web', 'pod-template-hash': h } }, spec: t.spec }));
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  const d = (maxSurgeV: number | string, maxUnavailableV: number | string, replicas = 10) =>
    ({
      spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: maxSurgeV, maxUnavailable: maxUnavailableV } } },
    }) as unknown as Deployment;
  assert.deepEqual([maxSurge(d('25%', '25%')), maxUnavailable(d('25%', '25%'))], [3, 2]);
  assert.deepEqual([maxSurge(d(0, 0)), maxUnavailable(d(0, 0))], [0, 1], 'both zero means one unavailable');
  assert.equal(maxUnavailable(d(0, 20, 5)), 5, 'never more than replicas');
  assert.equal(maxSurge({ spec: { replicas: 3, strategy: { type: 'Recreate' } } } as Deployment), 0);
});
