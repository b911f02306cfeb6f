import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { DaemonSetController } from '../../src/controllers/daemonset/controller.js';
import { daemonPodNode } from '../../src/controllers/daemonset/placement.js';
import { resources } from '../../src/client/resources.js';
import { harness, runPod, simplePodSpec, waitFor, type Harness } from './job-harness.js';

function node(
  name: string,
  labels: Record<string, string> = {},
  taints: Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never = [],
): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } };
}

function ds(name: string, spec: Record<string, unknown> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: simplePodSpec('Always') }, ...spec },
  } as unknown as DaemonSet;
}

async function livePods(h: Harness, app: string): Promise<Pod[]> {
  return (await h.client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Plays scheduler and kubelet: binds each pending daemon pod to its pinned node and runs it. */
async function kubelet(h: Harness, app: string): Promise<void> {
  for (const p of await livePods(h, app)) if (p.status?.phase === 'Pending') await runPod(h.client, p, daemonPodNode(p)).catch(() => {});
}

/** Plays the apiserver's end of graceful deletion: deleted pods go at once. */
async function reap(h: Harness, app: string): Promise<void> {
  for (const p of (await h.client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items)
    if (p.metadata?.deletionTimestamp) await h.client.pods.delete(p.metadata.name!, { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
}

test('one pod per eligible node; nodes joining, tainted and unselected nodes; revisions and status', async () => {
  const h = await harness();
  try {
    for (const n of ['n1', 'n2', 'n3']) await h.client.nodes.create(node(n));
    await h.start((ctx) => new DaemonSetController(ctx));
    await h.client.daemonSets.create(ds('agent'));
    const three = await waitFor('3 pods', async () => {
      const ps = await livePods(h, 'agent');
      return ps.length === 3 ? ps : undefined;
    });
    assert.deepEqual(three.map(daemonPodNode).sort(), ['n1', 'n2', 'n3']);
    const p0 = three[0]!;
    assert.ok(p0.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.operator === 'Exists' && t.effect === 'NoSchedule'));
    assert.ok(p0.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute'));
    assert.equal(p0.spec?.nodeName, undefined, 'the scheduler binds daemon pods');
    assert.ok(p0.metadata?.labels?.['controller-revision-hash']);

    await h.client.nodes.create(node('n4'));
    await waitFor('4 pods', async () => (await livePods(h, 'agent')).length === 4);
    await h.client.nodes.create(node('tainted', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await livePods(h, 'agent')).length, 4, 'no pod on a tainted node without toleration');

    await kubelet(h, 'agent');
    const st = await waitFor('status', async () => {
      const d = await h.client.daemonSets.get('agent', 'default');
      return d.status?.numberReady === 4 ? d.status : undefined;
    });
    assert.equal(st.desiredNumberScheduled, 4);
    assert.equal(st.currentNumberScheduled, 4);
    assert.equal(st.updatedNumberScheduled, 4);
    assert.equal(st.numberAvailable, 4);
    const revs = await h.client.resource(resources.controllerRevisions).list({ namespace: 'default' });
    assert.equal(revs.items.filter((r) => r.metadata?.ownerReferences?.[0]?.name === 'agent').length, 1);

    // Removing a node removes its pod.
    await h.client.nodes.delete('n4');
    await waitFor('pod of n4 deleted', async () => (await livePods(h, 'agent')).every((p) => daemonPodNode(p) !== 'n4'));

    // nodeSelector narrows the set.
    await h.client.nodes.patch('n1', { metadata: { labels: { role: 'edge' } } }, 'merge');
    await h.client.daemonSets.create(
      ds('edge', { template: { metadata: { labels: { app: 'edge' } }, spec: { ...simplePodSpec('Always'), nodeSelector: { role: 'edge' } } } }),
    );
    await waitFor('1 edge pod', async () => {
      const ps = await livePods(h, 'edge');
      return ps.length === 1 && daemonPodNode(ps[0]!) === 'n1';
    });
  } finally {
    h.stop();
  }
});

test('RollingUpdate replaces pods without exceeding maxUnavailable; OnDelete waits for deletions', async () => {
  const h = await harness();
  try {
    for (const n of ['n1', 'n2', 'n3']) await h.client.nodes.create(node(n));
    await h.start((ctx) => new DaemonSetController(ctx));
    await h.client.daemonSets.create(ds('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    await waitFor('3 pods', async () => (await livePods(h, 'roll')).length === 3);
    await kubelet(h, 'roll');
    await waitFor('3 ready', async () => (await h.client.daemonSets.get('roll', 'default')).status?.numberReady === 3);
    await h.client.daemonSets.patch('roll', { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } } } }, 'strategic', {
      namespace: 'default',
    });
    let minReady = 3;
    await waitFor(
      'rolled',
      async () => {
        const ps = await livePods(h, 'roll');
        const ready = ps.filter((p) => p.status?.phase === 'Running').length;
        minReady = Math.min(minReady, ready);
        await reap(h, 'roll');
        await kubelet(h, 'roll');
        return ps.length === 3 && ps.every((p) => p.spec?.containers[0]?.image === 'busybox:2' && p.status?.phase === 'Running');
      },
      8000,
    );
    assert.ok(minReady >= 2, `ready pods fell to ${minReady}`);
    const revs = (await h.client.resource(resources.controllerRevisions).list({ namespace: 'default' })).items.filter(
      (r) => r.metadata?.ownerReferences?.[0]?.name === 'roll',
    );
    assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);

    await h.client.daemonSets.patch(
      'roll',
      { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null }, template: { spec: { containers: [{ name: 'main', image: 'busybox:3' }] } } } },
      'strategic',
      { namespace: 'default' },
    );
    await new Promise((r) => setTimeout(r, 300));
    const ps = await livePods(h, 'roll');
    assert.ok(
      ps.every((p) => p.spec?.containers[0]?.image === 'busybox:2'),
      'OnDelete leaves pods alone',
    );
    await h.client.pods.delete(ps[0]!.metadata!.name!, { namespace: 'default', gracePeriodSeconds: 0 });
    await waitFor(
      'replacement with new template',
      async () => (await livePods(h, 'roll')).filter((p) => p.spec?.containers[0]?.image === 'busybox:3').length === 1,
    );
  } finally {
    h.stop();
  }
});
