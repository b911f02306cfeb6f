import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { eventually, startHarness, type Harness } from './workload-harness.js';

const CONTROLLERS = ['replicaset', 'deployment', 'garbage-collector'];

function deploy(name: string, replicas: number, spec: Record<string, unknown> = {}, image = 'httpd:1'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
      ...spec,
    },
  } as Deployment;
}

async function rsets(h: Harness, name: string): Promise<ReplicaSet[]> {
  return (await h.client.replicaSets.list({ namespace: 'default' })).items.filter((r) => r.metadata!.name!.startsWith(`${name}-`));
}

const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

async function complete(h: Harness, name: string, timeoutMs = 8000): Promise<Deployment> {
  return eventually(
    async () => {
      const d = await h.client.deployments.get(name, 'default');
      const s = d.status;
      const n = d.spec!.replicas!;
      const p = s?.conditions?.find((c) => c.type === 'Progressing');
      return s?.observedGeneration === d.metadata!.generation &&
        s?.updatedReplicas === n &&
        s.replicas === n &&
        s.availableReplicas === n &&
        p?.reason === 'NewReplicaSetAvailable'
        ? d
        : undefined;
    },
    timeoutMs,
    `${name} complete`,
  );
}

test('deployment: creates <name>-<hash>, becomes Available, records ScalingReplicaSet', { timeout: 30_000 }, async () => {
  const h = await startHarness(CONTROLLERS);
  try {
    await h.client.deployments.create(deploy('web', 2));
    const d = await complete(h, 'web');
    const [rs] = await rsets(h, 'web');
    assert.ok(rs);
    const hash = rs.metadata!.labels!['pod-template-hash']!;
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata!.name, `web-${hash}`);
    assert.equal(rs.spec!.selector!.matchLabels!['pod-template-hash'], hash);
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '2');
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '3');
    assert.equal(d.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    const avail = d.status!.conditions!.find((c) => c.type === 'Available')!;
    assert.equal(avail.status, 'True');
    assert.equal(avail.reason, 'MinimumReplicasAvailable');
    assert.equal(avail.message, 'Deployment has minimum availability.');
    const prog = d.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(prog.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    const ev = await eventually(
      async () => (await h.client.events.list({ namespace: 'default' })).items.find((e) => e.reason === 'ScalingReplicaSet'),
      3000,
      'event',
    );
    assert.equal(ev.message, `Scaled up replica set web-${hash} from 0 to 2`);
    assert.equal(ev.involvedObject.kind, 'Deployment');
    assert.equal(ev.source?.component, 'deployment-controller');
  } finally {
    await h.close();
  }
});

test('deployment: rolling update stays within maxSurge/maxUnavailable; undo returns to the old ReplicaSet', { timeout: 40_000 }, async () => {
  // Informers a little behind the writes, as over HTTPS: stale caches must not break the bounds.
  const h = await startHarness(CONTROLLERS, { watchLagMs: 30 });
  try {
    await h.client.deployments.create(deploy('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await complete(h, 'web');
    const [first] = await rsets(h, 'web');
    const violations: string[] = [];
    let samples = 0;
    const watcher = setInterval(() => {
      void h.client.pods.list({ namespace: 'default' }).then((l) => {
        const live = l.items.filter((p) => !p.metadata?.deletionTimestamp);
        const r = live.filter(ready).length;
        samples++;
        if (live.length > 5) violations.push(`total ${live.length} > 5`);
        if (r < 3) violations.push(`ready ${r} < 3`);
      });
    }, 5);
    await h.client.deployments.patch('web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'httpd:2' }] } } } }, 'strategic', {
      namespace: 'default',
    });
    const d = await complete(h, 'web');
    clearInterval(watcher);
    assert.ok(samples > 5, 'the watcher sampled during the rollout');
    assert.deepEqual(violations, []);
    assert.equal(d.metadata!.annotations!['deployment.kubernetes.io/revision'], '2');
    const all = await rsets(h, 'web');
    assert.equal(all.length, 2);
    const old = all.find((r) => r.metadata!.uid === first!.metadata!.uid)!;
    assert.equal(old.spec!.replicas, 0);
    const events = (await h.client.events.list({ namespace: 'default' })).items.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.ok(
      events.some((m) => /^Scaled down replica set web-\w+ from 4 to 3$/.test(m!)),
      events.join('\n'),
    );

    // kubectl rollout undo (apps/v1): the template of revision 1 is patched back in.
    const tmpl = structuredClone(old.spec!.template!);
    delete tmpl.metadata!.labels!['pod-template-hash'];
    await h.client.deployments.patch('web', { spec: { template: tmpl } }, 'merge', { namespace: 'default' });
    const back = await complete(h, 'web');
    assert.equal(back.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    const after = await rsets(h, 'web');
    assert.equal(after.length, 2, 'no third ReplicaSet: the old one is reused');
    const reused = after.find((r) => r.metadata!.uid === first!.metadata!.uid)!;
    assert.equal(reused.spec!.replicas, 4);
    assert.equal(reused.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(reused.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
  } finally {
    await h.close();
  }
});

test('deployment: proportional scaling mid-rollout, progress deadline, pause and resume', { timeout: 40_000 }, async () => {
  const h = await startHarness(CONTROLLERS);
  try {
    await h.client.deployments.create(deploy('web', 10, { progressDeadlineSeconds: 2, strategy: { rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await complete(h, 'web');
    // New pods never become ready: the rollout stalls with old 8, new 5.
    h.kubelet!.ready = (p) => p.spec!.containers[0]!.image !== 'httpd:bad';
    await h.client.deployments.patch('web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'httpd:bad' }] } } } }, 'strategic', {
      namespace: 'default',
    });
    const sizes = async () => {
      const all = await rsets(h, 'web');
      const nu = all.find((r) => r.spec!.template!.spec!.containers[0]!.image === 'httpd:bad');
      const old = all.find((r) => r !== nu);
      return { old: old?.spec?.replicas, nu: nu?.spec?.replicas };
    };
    await eventually(
      async () => {
        const s = await sizes();
        return s.old === 8 && s.nu === 5;
      },
      5000,
      'stalled at 8 + 5',
    );
    const timedOut = await eventually(
      async () =>
        (await h.client.deployments.get('web', 'default')).status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'),
      8000,
      'ProgressDeadlineExceeded',
    );
    assert.equal(timedOut.status, 'False');
    assert.match(timedOut.message!, /^ReplicaSet "web-\w+" has timed out progressing\.$/);

    // Scale 10 → 15: room for 15 + 3 surge = 18, so 5 more, shared 8:5 as Kubernetes shares them
    // (old: round(8·18/13) = 11, new: round(5·18/13) = 7).
    await h.client.deployments.patch('web', { spec: { replicas: 15 } }, 'merge', { namespace: 'default' });
    await eventually(
      async () => {
        const s = await sizes();
        return s.old! + s.nu! === 18 ? s : undefined;
      },
      5000,
      'scaled to 15 + surge 3',
    );
    const s = await sizes();
    assert.equal(s.old, 11, JSON.stringify(s));
    assert.equal(s.nu, 7, JSON.stringify(s));

    // Paused: a template change makes no new ReplicaSet.
    await h.client.deployments.patch('web', { spec: { paused: true, replicas: 4 } }, 'merge', { namespace: 'default' });
    h.kubelet!.ready = () => true;
    await eventually(
      async () =>
        (await h.client.deployments.get('web', 'default')).status?.observedGeneration ===
        (await h.client.deployments.get('web', 'default')).metadata!.generation,
      2000,
      'pause observed',
    );
    await h.client.deployments.patch('web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'httpd:3' }] } } } }, 'strategic', {
      namespace: 'default',
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await rsets(h, 'web')).length, 2, 'no rollout while paused');
    await h.client.deployments.patch('web', { spec: { paused: false } }, 'merge', { namespace: 'default' });
    const done = await complete(h, 'web', 10_000);
    assert.equal(done.status!.replicas, 4);
    assert.equal((await rsets(h, 'web')).length, 3);
  } finally {
    await h.close();
  }
});

test('deployment: pause condition, Recreate, revisionHistoryLimit', { timeout: 40_000 }, async () => {
  const h = await startHarness(CONTROLLERS);
  try {
    await h.client.deployments.create(deploy('rec', 3, { strategy: { type: 'Recreate' }, revisionHistoryLimit: 1 }));
    await complete(h, 'rec');
    let maxMixed = 0;
    const watcher = setInterval(() => {
      void h.client.pods.list({ namespace: 'default' }).then((l) => {
        const images = new Set(l.items.map((p) => p.spec!.containers[0]!.image));
        maxMixed = Math.max(maxMixed, images.size);
      });
    }, 5);
    for (const image of ['httpd:2', 'httpd:3']) {
      await h.client.deployments.patch('rec', { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } }, 'strategic', {
        namespace: 'default',
      });
      await eventually(
        async () => {
          const d = await complete(h, 'rec');
          return d.metadata!.annotations!['deployment.kubernetes.io/revision'] === (image === 'httpd:2' ? '2' : '3');
        },
        10_000,
        `rollout to ${image}`,
      );
    }
    clearInterval(watcher);
    assert.equal(maxMixed, 1, 'Recreate never runs old and new pods together');
    await eventually(async () => (await rsets(h, 'rec')).length === 2, 3000, 'history limited to 1 old ReplicaSet');

    await h.client.deployments.patch('rec', { spec: { paused: true } }, 'merge', { namespace: 'default' });
    const c = await eventually(
      async () =>
        (await h.client.deployments.get('rec', 'default')).status?.conditions?.find((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused'),
      3000,
      'paused condition',
    );
    assert.equal(c.status, 'Unknown');
    assert.equal(c.message, 'Deployment is paused');
    await h.client.deployments.patch('rec', { spec: { paused: false } }, 'merge', { namespace: 'default' });
    await eventually(
      async () =>
        (await h.client.deployments.get('rec', 'default')).status?.conditions?.find((x) => x.type === 'Progressing')?.reason === 'NewReplicaSetAvailable',
      3000,
      'resumed, complete again',
    );
  } finally {
    await h.close();
  }
});
