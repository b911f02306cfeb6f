import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../../src/client/resources.js';
import { StatefulSetController } from '../../src/controllers/statefulset/controller.js';
import { harness, runPod, simplePodSpec, waitFor, type Harness } from './job-harness.js';

function sts(name: string, spec: Record<string, unknown> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: simplePodSpec('Always') },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  } as unknown as StatefulSet;
}

async function live(h: Harness, app: string): Promise<Pod[]> {
  return (await h.client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Kubelet and graceful deletion stand-in: pending pods start, deleted pods go. */
const seenLive = new Map<string, Set<string>>();
async function tick(h: Harness, app: string, order: string[]): Promise<void> {
  const items = (await h.client.pods.list({ namespace: 'default', labelSelector: `app=${app}` })).items;
  const live = new Set(items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!));
  // A pod that went (however quickly) since the last look was deleted.
  for (const n of seenLive.get(app) ?? []) if (!live.has(n)) order.push(`-${n}`);
  seenLive.set(app, live);
  for (const p of items) {
    if (p.metadata?.deletionTimestamp) {
      order.push(`-${p.metadata.name}`);
      await h.client.pods.delete(p.metadata.name!, { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
    } else if (p.status?.phase === 'Pending') {
      order.push(`+${p.metadata!.name}`);
      await runPod(h.client, p);
    }
  }
}

test('OrderedReady: web-0..2 in order with claims; scale down in reverse keeping claims', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new StatefulSetController(ctx));
    await h.client.statefulSets.create(sts('web'));
    // Before web-0 is ready, nothing else is created.
    await waitFor('web-0', async () => (await live(h, 'web')).length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      (await live(h, 'web')).map((p) => p.metadata!.name),
      ['web-0'],
    );
    const order: string[] = [];
    await waitFor('3 ready', async () => {
      await tick(h, 'web', order);
      return (await h.client.statefulSets.get('web', 'default')).status?.readyReplicas === 3;
    });
    assert.deepEqual(order, ['+web-0', '+web-1', '+web-2']);
    const p1 = await h.client.pods.get('web-1', 'default');
    assert.equal(p1.spec?.hostname, 'web-1');
    assert.equal(p1.spec?.subdomain, 'web');
    assert.equal(p1.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(p1.metadata?.labels?.['apps.kubernetes.io/pod-index'], '1');
    assert.equal(p1.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'data-web-1');
    const claims = await h.client.resource(resources.persistentVolumeClaims).list({ namespace: 'default' });
    assert.deepEqual(claims.items.map((c) => c.metadata!.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    const st = (await h.client.statefulSets.get('web', 'default')).status!;
    assert.equal(st.currentRevision, st.updateRevision);
    assert.equal(st.currentReplicas, 3);

    order.length = 0;
    await h.client.statefulSets.patch('web', { spec: { replicas: 1 } }, 'merge', { namespace: 'default' });
    await waitFor('1 left', async () => {
      await tick(h, 'web', order);
      // Until only web-0 is left, terminating pods included.
      return (await h.client.pods.list({ namespace: 'default', labelSelector: 'app=web' })).items.length === 1;
    });
    assert.deepEqual(
      order.filter((x) => x.startsWith('-')).filter((x, i, a) => a.indexOf(x) === i),
      ['-web-2', '-web-1'],
    );
    const after = await h.client.resource(resources.persistentVolumeClaims).list({ namespace: 'default' });
    assert.equal(after.items.length, 3, 'claims are kept on scale down');
  } finally {
    h.stop();
  }
});

test('RollingUpdate with partition updates only ordinals >= partition, highest first; Parallel creates all at once', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new StatefulSetController(ctx));
    await h.client.statefulSets.create(sts('db', { podManagementPolicy: 'Parallel', volumeClaimTemplates: [] }));
    await waitFor('3 at once', async () => (await live(h, 'db')).length === 3);
    const order: string[] = [];
    await waitFor('3 ready', async () => {
      await tick(h, 'db', order);
      return (await h.client.statefulSets.get('db', 'default')).status?.readyReplicas === 3;
    });
    const rev1 = (await h.client.statefulSets.get('db', 'default')).status!.updateRevision;
    await h.client.statefulSets.patch(
      'db',
      {
        spec: {
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
          template: { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } },
        },
      },
      'strategic',
      { namespace: 'default' },
    );
    order.length = 0;
    const st = await waitFor('partition rolled', async () => {
      await tick(h, 'db', order);
      const s = await h.client.statefulSets.get('db', 'default');
      return s.status?.updatedReplicas === 2 && s.status.readyReplicas === 3 ? s.status : undefined;
    });
    assert.notEqual(st.updateRevision, rev1);
    assert.equal(st.currentRevision, rev1, 'not fully rolled: current stays');
    assert.deepEqual(
      order.filter((x) => x.startsWith('-')).filter((x, i, a) => a.indexOf(x) === i),
      ['-db-2', '-db-1'],
    );
    assert.equal((await h.client.pods.get('db-0', 'default')).spec?.containers[0]?.image, 'busybox');
    assert.equal((await h.client.pods.get('db-1', 'default')).spec?.containers[0]?.image, 'busybox:2');
  } finally {
    h.stop();
  }
});
