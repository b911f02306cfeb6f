import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { PodGCController } from '../../src/controllers/podgc.js';
import { finishPod, harness, runPod, simplePodSpec } from './job-harness.js';

test('terminated pods over the threshold go oldest first; pods on a deleted node go after the quarantine', async () => {
  const h = await harness();
  try {
    h.clock.real = false;
    h.clock.now = Date.now();
    for (const n of ['n1', 'n2']) await h.client.nodes.create({ metadata: { name: n } } as Node);
    const [gc] = (await h.start((ctx) => new PodGCController(ctx, { terminatedThreshold: 2, periodMs: 3_600_000, quarantineMs: 40_000 }))) as PodGCController[];
    for (const name of ['old', 'mid', 'new']) {
      const p = await h.client.pods.create({ metadata: { name, namespace: 'default' }, spec: simplePodSpec() } as Pod);
      await finishPod(h.client, p, 0, 'n2');
      await new Promise((r) => setTimeout(r, 1050)); // creationTimestamps have whole seconds
    }
    const orphan = await h.client.pods.create({ metadata: { name: 'orphan', namespace: 'default' }, spec: simplePodSpec('Always') } as Pod);
    await runPod(h.client, orphan, 'n1');
    await h.client.nodes.delete('n1');
    await new Promise((r) => setTimeout(r, 200));
    await gc!.gc();
    const names = async () => (await h.client.pods.list({ namespace: 'default' })).items.map((p) => p.metadata!.name).sort();
    assert.deepEqual(await names(), ['mid', 'new', 'orphan'], 'the oldest finished pod went; the orphan waits out the quarantine');
    h.clock.now += 41_000;
    await gc!.gc();
    assert.deepEqual(await names(), ['mid', 'new']);
  } finally {
    h.stop();
  }
});
