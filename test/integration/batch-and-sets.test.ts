// The real kubectl against `skiff server --simulated-nodes 3`: Jobs run to completion or
// fail with growing back-off, DaemonSets follow the nodes, StatefulSets come up in order
// with their claims, and `kubectl drain` respects a PodDisruptionBudget.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SKIFF_BIN, startServer, type TestServer, kubectlOk } from '../helpers/server.js';

// Job back-off: 3 s doubling instead of 10 s, so the failing Job fails within the test's time.
const BACKOFF_MS = 3000;
let s: TestServer;

before(async () => {
  process.env.SKIFF_JOB_BACKOFF_BASE_MS = String(BACKOFF_MS);
  s = await startServer({ args: ['--simulated-nodes', '3'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s, 90_000);

async function json(args: string[]): Promise<any> {
  return JSON.parse(await ok([...args, '-o', 'json']));
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const isReady = (p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
const isDone = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

test('a Job with completions 5 and parallelism 2: 5 pods succeed, never more than 2 at once', async () => {
  await ok(
    ['apply', '-f', '-'],
    `apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: busybox}]
`,
  );
  let maxActive = 0;
  await until('Complete', 60_000, async () => {
    const pods = (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi'])).items;
    maxActive = Math.max(maxActive, pods.filter((p: any) => !isDone(p) && !p.metadata.deletionTimestamp).length);
    const job = await json(['get', 'job', 'pi']);
    return job.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True');
  });
  assert.ok(maxActive <= 2, `${maxActive} pods ran at once`);
  const job = await json(['get', 'job', 'pi']);
  assert.equal(job.status.succeeded, 5);
  const pods = (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi'])).items;
  assert.equal(pods.filter((p: any) => p.status.phase === 'Succeeded').length, 5);
  assert.ok(pods.every((p: any) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')));
  assert.match(await ok(['get', 'job', 'pi']), /pi\s+Complete\s+5\/5/);
});

test('a Job whose pods exit 1 fails after backoffLimit retries, with growing delays', async () => {
  await ok(
    ['apply', '-f', '-'],
    `apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 2
  template:
    metadata: {annotations: {simulation.skiff.io/exit-code: "1"}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
`,
  );
  const job = await until('Failed', 60_000, async () => {
    const j = await json(['get', 'job', 'bad']);
    return j.status?.conditions?.some((c: any) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
  });
  const failed = job.status.conditions.find((c: any) => c.type === 'Failed');
  assert.equal(failed.reason, 'BackoffLimitExceeded');
  assert.equal(failed.message, 'Job has reached the specified backoff limit');
  assert.equal(job.status.failed, 3);
  const pods = (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=bad'])).items;
  assert.equal(pods.length, 3);
  const created = pods.map((p: any) => Date.parse(p.metadata.creationTimestamp)).sort((a: number, b: number) => a - b);
  const gap1 = created[1] - created[0];
  const gap2 = created[2] - created[1];
  // Each gap is the pod's run plus the back-off (3 s, then 6 s), give or take a second of timestamp precision.
  assert.ok(gap1 >= BACKOFF_MS - 1000, `first retry after ${gap1} ms`);
  assert.ok(gap2 >= 2 * BACKOFF_MS - 1000 && gap2 > gap1, `second retry after ${gap2} ms, first after ${gap1} ms`);
});

function daemonSet(name: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: main, image: busybox}]
`;
}

async function dsPods(app: string): Promise<any[]> {
  return (await json(['get', 'pods', '-l', `app=${app}`])).items.filter((p: any) => !p.metadata.deletionTimestamp);
}

test('a DaemonSet runs one pod per node, on a joining node too, and none on a tainted node', async () => {
  const nodes: string[] = (await json(['get', 'nodes'])).items.map((n: any) => n.metadata.name);
  assert.equal(nodes.length, 3);
  await ok(['apply', '-f', '-'], daemonSet('agent'));
  await until('3 running daemon pods', 30_000, async () => {
    const ps = await dsPods('agent');
    return ps.length === 3 && ps.every(isReady) && new Set(ps.map((p) => p.spec.nodeName)).size === 3;
  });
  assert.match(await ok(['get', 'ds', 'agent']), /agent\s+3\s+3\s+3\s+3\s+3/);

  const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
  const agent = spawn(
    process.execPath,
    [
      SKIFF_BIN,
      'agent',
      '--server',
      s.url,
      '--token',
      token,
      '--data-dir',
      join(s.dataDir, 'agent4'),
      '--node-name',
      'fourth-node',
      '--node-ip',
      '127.0.0.1',
      '--runtime',
      'simulated',
      '--kubelet-port',
      '0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  agent.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  try {
    await until('a pod on the fourth node', 30_000, async () => {
      const ps = await dsPods('agent');
      return ps.length === 4 && ps.some((p) => p.spec.nodeName === 'fourth-node' && isReady(p));
    }).catch((e) => assert.fail(`${(e as Error).message}\n${err}`));

    // A NoSchedule taint keeps new daemon pods off the node (existing ones may stay, as in Kubernetes).
    await ok(['taint', 'node', nodes[0]!, 'dedicated=db:NoSchedule']);
    await ok(['apply', '-f', '-'], daemonSet('probe'));
    await until('probe on the 3 untainted nodes', 30_000, async () => {
      const ps = await dsPods('probe');
      return ps.length === 3 && ps.every(isReady);
    });
    await new Promise((r) => setTimeout(r, 1000));
    const probes = await dsPods('probe');
    assert.equal(probes.length, 3);
    assert.ok(!probes.some((p) => p.spec.nodeName === nodes[0]), 'no probe pod on the tainted node');
    assert.equal((await json(['get', 'ds', 'probe'])).status.desiredNumberScheduled, 3);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await ok(['taint', 'node', nodes[0]!, 'dedicated=db:NoSchedule-']);
    await ok(['delete', 'ds', 'probe', '--wait=false']);
  }
});

test('a StatefulSet with a volumeClaimTemplate: web-0,1,2 in order with claims; scale down in reverse keeps them', async () => {
  await ok(
    ['apply', '-f', '-'],
    `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: busybox}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`,
  );
  // No volume provisioner runs here: the test binds each new claim to a PV it makes, as a
  // provisioner would, so that the scheduler can place the pod.
  const bound = new Set<string>();
  await until('3 ready', 60_000, async () => {
    for (const c of (await json(['get', 'pvc'])).items) {
      const name = c.metadata.name;
      if (c.spec.volumeName || bound.has(name)) continue;
      await ok(
        ['apply', '-f', '-'],
        `apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-${name}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/skiff-test-${name}}
  claimRef: {namespace: default, name: ${name}}
`,
      );
      await ok(['patch', 'pvc', name, '--type=merge', '-p', JSON.stringify({ spec: { volumeName: `pv-${name}` } })]);
      bound.add(name);
    }
    return (await json(['get', 'sts', 'web'])).status?.readyReplicas === 3;
  });
  const pods = (await json(['get', 'pods', '-l', 'app=web'])).items.sort((a: any, b: any) => a.metadata.name.localeCompare(b.metadata.name));
  assert.deepEqual(
    pods.map((p: any) => p.metadata.name),
    ['web-0', 'web-1', 'web-2'],
  );
  for (let i = 1; i < 3; i++) {
    const readyAt = Date.parse(pods[i - 1].status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime);
    assert.ok(Date.parse(pods[i].metadata.creationTimestamp) >= readyAt, `web-${i} was created before web-${i - 1} was Ready`);
  }
  const claims = (await json(['get', 'pvc'])).items.map((c: any) => c.metadata.name).sort();
  assert.deepEqual(claims, ['data-web-0', 'data-web-1', 'data-web-2']);

  await ok(['scale', 'sts', 'web', '--replicas=1']);
  const seen: string[] = [];
  await until('scaled to 1', 60_000, async () => {
    const names = (await json(['get', 'pods', '-l', 'app=web'])).items.map((p: any) => p.metadata.name);
    for (const n of ['web-2', 'web-1']) if (!names.includes(n) && !seen.includes(n)) seen.push(n);
    return names.length === 1 && names[0] === 'web-0';
  });
  assert.deepEqual(seen, ['web-2', 'web-1'], 'deleted in reverse order');
  assert.equal((await json(['get', 'pvc'])).items.length, 3, 'claims are kept');
});

test('kubectl drain respects a PodDisruptionBudget', async () => {
  await ok(['create', 'deployment', 'guarded', '--image=busybox', '--replicas=2']);
  await until('2 ready', 30_000, async () => (await json(['get', 'deploy', 'guarded'])).status?.readyReplicas === 2);
  await ok(['create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=2']);
  await until('pdb status', 15_000, async () => (await json(['get', 'pdb', 'guarded'])).status?.currentHealthy === 2);
  const node = (await json(['get', 'pods', '-l', 'app=guarded'])).items[0].spec.nodeName;

  const refused = await s.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=6s'], { timeoutMs: 30_000 });
  assert.notEqual(refused.code, 0, 'drain must not evict past the budget');
  assert.match(refused.stderr + refused.stdout, /Cannot evict pod as it would violate the pod's disruption budget/);
  assert.equal(
    (await json(['get', 'pods', '-l', 'app=guarded'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.spec.nodeName === node).length >= 1,
    true,
  );

  await ok(['patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
  const out = await ok(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
  assert.match(out, /drained/);
  await until('2 ready elsewhere', 30_000, async () => {
    const ps = (await json(['get', 'pods', '-l', 'app=guarded'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    return ps.length === 2 && ps.every((p: any) => isReady(p) && p.spec.nodeName !== node);
  });
  await ok(['uncordon', node]);
});
