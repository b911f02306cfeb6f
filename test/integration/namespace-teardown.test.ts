// Deleting a namespace with every kind of workload inside empties it and removes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../helpers/server.js';

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: everything}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: everything}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: skiff.local/httpd:1.35}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: everything}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: skiff.local/busybox:1.35}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: everything}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: skiff.local/busybox:1.35}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: everything}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: skiff.local/busybox:1.35}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: often, namespace: everything}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: c, image: skiff.local/busybox:1.35}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: everything}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: everything}
data: {a: "1"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: everything}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
`;

test('deleting a namespace with all the workloads inside empties it, then removes it', async () => {
  const s = await startServer({ args: ['--simulated-nodes', '3'] });
  try {
    const apply = await s.kubectl(['apply', '-f', '-'], { input: MANIFEST });
    assert.equal(apply.code, 0, apply.stderr);
    // Wait until the workloads have made pods: 2 (deploy) + 2 (sts) + 3 (ds) at least.
    const deadline = Date.now() + 30_000;
    let pods = 0;
    while (Date.now() < deadline) {
      const r = await s.kubectl(['get', 'pods', '-n', 'everything', '-o', 'name']);
      pods = r.stdout.trim() ? r.stdout.trim().split('\n').length : 0;
      if (pods >= 7) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(pods >= 7, `only ${pods} pods appeared`);
    const del = await s.kubectl(['delete', 'namespace', 'everything', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    const ns = await s.kubectl(['get', 'namespace', 'everything']);
    assert.match(ns.stderr, /not found/);
    for (const kind of [
      'pods',
      'deployments',
      'replicasets',
      'statefulsets',
      'daemonsets',
      'jobs',
      'cronjobs',
      'services',
      'configmaps',
      'endpoints',
      'poddisruptionbudgets',
    ]) {
      const left = await s.kubectl(['get', kind, '-n', 'everything', '-o', 'name']);
      assert.equal(left.stdout.trim(), '', `${kind} left behind: ${left.stdout}`);
    }
    // Creating into it again works once it is gone (a fresh namespace of the same name).
    assert.equal((await s.kubectl(['create', 'namespace', 'everything'])).code, 0);
  } finally {
    await s.cleanup();
  }
});
