// The events a relist implies: every step a container must have taken between two lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListedContainer } from '../../../src/kubelet/runtime/cri/convert.js';
import { diffContainers } from '../../../src/kubelet/runtime/cri/relist.js';

const m = (...cs: [string, ListedContainer['state']][]) => new Map(cs.map(([id, state]) => [id, { id, state, podSandboxId: `sb-${id}`, createdAt: 1n }]));
const names = (before: Map<string, ListedContainer>, after: Map<string, ListedContainer>) =>
  diffContainers(before, after, 5n).map((e) => `${e.containerId}:${e.type.replace('CONTAINER_', '').replace('_EVENT', '')}`);

test('new, started, stopped and deleted containers', () => {
  assert.deepEqual(names(m(), m(['a', 'CONTAINER_CREATED'])), ['a:CREATED']);
  assert.deepEqual(names(m(['a', 'CONTAINER_CREATED']), m(['a', 'CONTAINER_RUNNING'])), ['a:STARTED']);
  assert.deepEqual(names(m(['a', 'CONTAINER_RUNNING']), m(['a', 'CONTAINER_EXITED'])), ['a:STOPPED']);
  assert.deepEqual(names(m(['a', 'CONTAINER_EXITED']), m()), ['a:DELETED']);
  assert.deepEqual(names(m(['a', 'CONTAINER_RUNNING']), m(['a', 'CONTAINER_RUNNING'])), []);
});

test('steps missed between two lists are all reported, in order', () => {
  assert.deepEqual(names(m(), m(['a', 'CONTAINER_EXITED'])), ['a:CREATED', 'a:STARTED', 'a:STOPPED']);
  assert.deepEqual(names(m(['a', 'CONTAINER_CREATED']), m(['a', 'CONTAINER_EXITED'])), ['a:STARTED', 'a:STOPPED']);
  assert.deepEqual(names(m(), m(['a', 'CONTAINER_RUNNING'])), ['a:CREATED', 'a:STARTED']);
});

test('events carry the sandbox and the time given', () => {
  const [ev] = diffContainers(m(), m(['a', 'CONTAINER_CREATED']), 42n);
  assert.deepEqual(ev, { containerId: 'a', podSandboxId: 'sb-a', type: 'CONTAINER_CREATED_EVENT', createdAt: 42n });
});

test('the relister reports a failing runtime once until it recovers, and lists only while subscribed', async () => {
  const { ContainerRelister } = await import('../../../src/kubelet/runtime/cri/relist.js');
  let fail = true;
  let lists = 0;
  const errors: string[] = [];
  const r = new ContainerRelister({
    list: async () => {
      lists++;
      if (fail) throw new Error('runtime down');
      return [];
    },
    periodMs: 10,
    onError: (e) => errors.push(e.message),
  });
  const stop = r.subscribe(() => {});
  await new Promise((res) => setTimeout(res, 80));
  assert.deepEqual(errors, ['runtime down']);
  fail = false;
  await new Promise((res) => setTimeout(res, 40));
  fail = true;
  await new Promise((res) => setTimeout(res, 40));
  assert.deepEqual(errors, ['runtime down', 'runtime down'], 'a new failure after recovery is reported again');
  stop();
  const n = lists;
  await new Promise((res) => setTimeout(res, 50));
  assert.ok(lists <= n + 1, 'listing stops once nobody listens');
});
