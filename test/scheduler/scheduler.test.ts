import { test } from 'node:test';
import assert from 'node:assert/strict';
import { node, pod, startHarness, waitBound, waitFor, nodeOf } from './harness.js';

test('two nodes: pods spread, one on each', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1'));
    await h.client.nodes.create(node('n2'));
    await h.client.pods.create(pod('a', { cpu: '1' }, { app: 'web' }));
    await waitBound(h.client, 'a');
    await h.client.pods.create(pod('b', { cpu: '1' }, { app: 'web' }));
    const nb = await waitBound(h.client, 'b');
    assert.notEqual(nb, await nodeOf(h.client, 'a'));
    const p = await h.client.pods.get('a', 'default');
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  } finally {
    await h.stop();
  }
});

test('nodeSelector and required node affinity pick the labelled node', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1', { labels: { disk: 'hdd' } }));
    await h.client.nodes.create(node('n2', { labels: { disk: 'ssd' } }));
    for (let i = 0; i < 3; i++) await h.client.pods.create(pod(`sel${i}`, { nodeSelector: { disk: 'ssd' } }));
    await h.client.pods.create(
      pod('aff', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] },
          },
        },
      }),
    );
    for (let i = 0; i < 3; i++) assert.equal(await waitBound(h.client, `sel${i}`), 'n2');
    assert.equal(await waitBound(h.client, 'aff'), 'n1');
  } finally {
    await h.stop();
  }
});

test('taints keep out pods without tolerations', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await h.client.pods.create(pod('plain'));
    await h.client.pods.create(pod('tol', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    assert.equal(await waitBound(h.client, 'tol'), 'n1');
    const msg = await waitFor(
      async () => (await h.client.pods.get('plain', 'default')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message,
      'condition',
    );
    assert.match(msg, /^0\/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}\./);
    assert.equal(await nodeOf(h.client, 'plain'), undefined);
  } finally {
    await h.stop();
  }
});

test('required pod anti-affinity: 3 replicas on 2 nodes leave one Pending with FailedScheduling', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1'));
    await h.client.nodes.create(node('n2'));
    const anti = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }],
      },
    };
    for (let i = 0; i < 3; i++) await h.client.pods.create(pod(`db${i}`, { affinity: anti }, { app: 'db' }));
    const ev = await waitFor(
      async () => (await h.client.events.list({ namespace: 'default' })).items.find((e) => e.reason === 'FailedScheduling'),
      'FailedScheduling event',
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.source?.component, 'default-scheduler');
    assert.match(ev.message!, /^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\./);
    const nodes = await Promise.all([0, 1, 2].map((i) => nodeOf(h.client, `db${i}`)));
    const bound = nodes.filter(Boolean);
    assert.equal(bound.length, 2);
    assert.notEqual(bound[0], bound[1]);
  } finally {
    await h.stop();
  }
});

test('topology spread over three zones', async () => {
  const h = await startHarness();
  try {
    for (const [n, z] of [
      ['n1', 'a'],
      ['n2', 'a'],
      ['n3', 'b'],
      ['n4', 'c'],
    ])
      await h.client.nodes.create(node(n!, { labels: { 'topology.kubernetes.io/zone': z! } }));
    const tsc = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } } }];
    for (let i = 0; i < 6; i++) {
      await h.client.pods.create(pod(`s${i}`, { topologySpreadConstraints: tsc as never }, { app: 's' }));
      await waitBound(h.client, `s${i}`);
    }
    const zoneOf: Record<string, string> = { n1: 'a', n2: 'a', n3: 'b', n4: 'c' };
    const counts: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const z = zoneOf[(await nodeOf(h.client, `s${i}`))!]!;
      counts[z] = (counts[z] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 2, b: 2, c: 2 });
  } finally {
    await h.stop();
  }
});

test('a pod too big for every node stays Pending with Insufficient cpu', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1', { cpu: '2' }));
    await h.client.nodes.create(node('n2', { cpu: '2' }));
    await h.client.pods.create(pod('big', { cpu: '3' }));
    const cond = await waitFor(async () => (await h.client.pods.get('big', 'default')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 'condition');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(
      cond.message,
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    );
    // A node with room arriving is the event that brings it back.
    await h.client.nodes.create(node('n3', { cpu: '4' }));
    assert.equal(await waitBound(h.client, 'big', 5000), 'n3');
  } finally {
    await h.stop();
  }
});

test('a high-priority pod preempts a low-priority one on a full cluster', async () => {
  const h = await startHarness();
  try {
    await h.client
      .resource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', namespaced: false, kind: 'PriorityClass' })
      .create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } as never);
    await h.client.nodes.create(node('n1', { cpu: '2' }));
    await h.client.pods.create(pod('low', { cpu: '2' }));
    assert.equal(await waitBound(h.client, 'low'), 'n1');
    await h.client.pods.create(pod('high', { cpu: '2', priorityClassName: 'high' }));
    // Graceful deletion: play the node agent and finish it once the victim is marked.
    await waitFor(async () => (await h.client.pods.get('low', 'default')).metadata?.deletionTimestamp, 'victim deletion');
    const high = await waitFor(async () => (await h.client.pods.get('high', 'default')).status?.nominatedNodeName, 'nominatedNodeName');
    assert.equal(high, 'n1');
    await h.client.pods.delete('low', { namespace: 'default', gracePeriodSeconds: 0 });
    assert.equal(await waitBound(h.client, 'high', 5000), 'n1');
  } finally {
    await h.stop();
  }
});

test('a pod for another scheduler is left alone', async () => {
  const h = await startHarness();
  try {
    await h.client.nodes.create(node('n1'));
    await h.client.pods.create(pod('other', { schedulerName: 'other' }));
    await h.client.pods.create(pod('mine'));
    await waitBound(h.client, 'mine');
    await new Promise((r) => setTimeout(r, 300));
    const p = await h.client.pods.get('other', 'default');
    assert.equal(p.spec?.nodeName, undefined);
    assert.equal(
      p.status?.conditions?.find((c) => c.type === 'PodScheduled'),
      undefined,
    );
  } finally {
    await h.stop();
  }
});

test('a burst of 50 pods onto room for exactly 50 never over-commits', async () => {
  const h = await startHarness({ scheduledEvents: false });
  try {
    for (let i = 0; i < 5; i++) await h.client.nodes.create(node(`n${i}`, { cpu: '1' }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => h.client.pods.create(pod(`p${i}`, { cpu: '100m' }))));
    await waitFor(async () => (await h.client.pods.list({ namespace: 'default' })).items.filter((p) => p.spec?.nodeName).length >= 50 || undefined, '50 bound');
    await new Promise((r) => setTimeout(r, 300));
    const pods = (await h.client.pods.list({ namespace: 'default' })).items;
    const per: Record<string, number> = {};
    for (const p of pods) if (p.spec?.nodeName) per[p.spec.nodeName] = (per[p.spec.nodeName] ?? 0) + 1;
    assert.equal(pods.filter((p) => p.spec?.nodeName).length, 50);
    for (const n of Object.values(per)) assert.equal(n, 10);
  } finally {
    await h.stop();
  }
});

test('a second profile reports its Scheduled and FailedScheduling events under its own schedulerName', async () => {
  const h = await startHarness({ config: { profiles: [{ schedulerName: 'default-scheduler' }, { schedulerName: 'my-scheduler' }] } });
  try {
    await h.client.nodes.create(node('n1', { cpu: '1' }));
    await h.client.pods.create(pod('custom', { schedulerName: 'my-scheduler' }));
    await h.client.pods.create(pod('huge', { schedulerName: 'my-scheduler', cpu: '64' }));
    await h.client.pods.create(pod('plain'));
    await waitBound(h.client, 'custom');
    await waitBound(h.client, 'plain');
    const evs = await waitFor(async () => {
      const items = (await h.client.events.list({ namespace: 'default' })).items;
      return items.some((e) => e.involvedObject.name === 'huge' && e.reason === 'FailedScheduling') && items.some((e) => e.involvedObject.name === 'plain')
        ? items
        : undefined;
    }, 'events');
    const by = (name: string, reason: string) => evs.find((e) => e.involvedObject.name === name && e.reason === reason)!;
    assert.equal(by('custom', 'Scheduled').source?.component, 'my-scheduler');
    assert.equal(by('custom', 'Scheduled').reportingComponent, 'my-scheduler');
    assert.equal(by('huge', 'FailedScheduling').reportingComponent, 'my-scheduler');
    assert.equal(by('plain', 'Scheduled').reportingComponent, 'default-scheduler');
  } finally {
    await h.stop();
  }
});
