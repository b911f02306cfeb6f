// /metrics of the apiserver (with the scheduler's and controller manager's series, which
// run in its process) and of the node agent, read through kubectl as a user would, parsed
// strictly, and checked to move with what kubectl does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { parsePrometheusText, samples, total, type Family } from '../helpers/prom-text.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

let s: TestServer;
before(async () => {
  s = await startServer({ agent: true, args: ['--disable-dns', '--disable-ingress', '--disable-servicelb'] });
});
after(async () => s?.cleanup());

async function scrape(path = '/metrics'): Promise<Map<string, Family>> {
  const r = await s.kubectl(['get', '--raw', path]);
  assert.equal(r.code, 0, r.stderr);
  return parsePrometheusText(r.stdout);
}

const podsRequest = { verb: 'POST', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'resource', component: 'apiserver', dry_run: '' };

test('apiserver: request, storage, watch and store series exist with their labels and move', async () => {
  const before = await scrape();
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) assert.ok(before.has(name), name);
  assert.equal(before.get('apiserver_request_total')?.type, 'counter');
  assert.equal(before.get('apiserver_request_duration_seconds')?.type, 'histogram');
  // Kubernetes' buckets: 5 ms to 60 s.
  const les = samples(before, 'apiserver_request_duration_seconds_bucket').map((x) => x.labels.le);
  assert.ok(les.includes('0.005') && les.includes('60') && les.includes('+Inf'), les.join(','));
  assert.deepEqual(
    samples(before, 'apiserver_current_inflight_requests')
      .map((x) => x.labels.request_kind)
      .sort(),
    ['mutating', 'readOnly'],
  );
  const createdBefore = total(before, 'apiserver_request_total', { ...podsRequest, code: '201' });

  const apply = await s.kubectl(['run', 'metrics-a', '--image', 'busybox', '--restart', 'Never', '--', 'sleep', '3600']);
  assert.equal(apply.code, 0, apply.stderr);
  const list = await s.kubectl(['get', 'pods']);
  assert.equal(list.code, 0, list.stderr);
  const missing = await s.kubectl(['get', 'pod', 'no-such-pod']);
  assert.notEqual(missing.code, 0);
  const madeUp = await s.kubectl(['get', '--raw', '/api/v1/namespaces/default/madeupthings/x']);
  assert.notEqual(madeUp.code, 0);
  // A change made while the watch is open reaches it as an event.
  const watching = s.kubectl(['get', 'pods', '--watch-only', '--request-timeout', '4s']);
  await new Promise((r) => setTimeout(r, 1500));
  const label = await s.kubectl(['label', 'pod', 'metrics-a', 'seen=yes']);
  assert.equal(label.code, 0, label.stderr);
  assert.match((await watching).stdout, /metrics-a/);

  const now = await scrape();
  assert.equal(total(now, 'apiserver_request_total', { ...podsRequest, code: '201' }), createdBefore + 1);
  assert.ok(total(now, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', scope: 'namespace', code: '200' }) >= 1);
  assert.ok(total(now, 'apiserver_request_total', { verb: 'GET', resource: 'pods', scope: 'resource', code: '404' }) >= 1);
  assert.ok(total(now, 'apiserver_request_total', { verb: 'WATCH', resource: 'pods', code: '200' }) >= 1);
  assert.ok(total(now, 'apiserver_request_duration_seconds_count', { verb: 'POST', resource: 'pods', scope: 'resource' }) >= 1);
  // Watches are counted, never timed.
  assert.equal(samples(now, 'apiserver_request_duration_seconds_count', { verb: 'WATCH' }).length, 0);
  // A resource nobody serves gets no series of its own.
  assert.equal(samples(now, 'apiserver_request_total').filter((x) => x.labels.resource === 'madeupthings').length, 0);
  assert.ok(total(now, 'apiserver_request_total', { verb: 'GET', resource: '', code: '404' }) >= 1);
  assert.ok(total(now, 'apiserver_watch_events_total', { group: '', version: 'v1', kind: 'Pod' }) >= 1);
  // Object counts are refreshed at most every 5 s (as kube-apiserver samples them): look again until the pod shows.
  let counted = now;
  for (let i = 0; i < 40 && total(counted, 'apiserver_storage_objects', { resource: 'pods' }) < 1; i++) {
    await new Promise((r) => setTimeout(r, 250));
    counted = await scrape();
  }
  assert.ok(total(counted, 'apiserver_storage_objects', { resource: 'pods' }) >= 1);
  assert.ok(total(counted, 'apiserver_storage_objects', { resource: 'namespaces' }) >= 4);
  assert.equal(now.get('etcd_request_duration_seconds')?.type, 'histogram');
  assert.ok(
    total(now, 'etcd_request_duration_seconds_count', { operation: 'create', type: 'pods' }) >
      total(before, 'etcd_request_duration_seconds_count', { operation: 'create', type: 'pods' }),
  );
  // The scrape itself is a read in flight (components' requests may be too).
  assert.ok(total(now, 'apiserver_current_inflight_requests', { request_kind: 'readOnly' }) >= 1);
});

test('scheduler: an unschedulable pod shows in scheduler_pending_pods and in the attempts', async () => {
  const before = await scrape();
  assert.deepEqual(
    samples(before, 'scheduler_pending_pods')
      .map((x) => x.labels.queue)
      .sort(),
    ['active', 'backoff', 'unschedulable'],
  );
  const unschedBefore = total(before, 'scheduler_schedule_attempts_total', { result: 'unschedulable', profile: 'default-scheduler' });
  const r = await s.kubectl([
    'run',
    'metrics-stuck',
    '--image',
    'busybox',
    '--restart',
    'Never',
    '--overrides',
    '{"spec":{"nodeSelector":{"no-such":"node"}}}',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const now = await eventually('the pod counted as pending', 15_000, async () => {
    const m = await scrape();
    return total(m, 'scheduler_pending_pods', { queue: 'unschedulable' }) + total(m, 'scheduler_pending_pods', { queue: 'backoff' }) >= 1 ? m : undefined;
  });
  assert.ok(total(now, 'scheduler_schedule_attempts_total', { result: 'unschedulable', profile: 'default-scheduler' }) > unschedBefore);
  assert.ok(total(now, 'scheduler_schedule_attempts_total', { result: 'scheduled', profile: 'default-scheduler' }) >= 1);
  assert.ok(total(now, 'scheduler_scheduling_attempt_duration_seconds_count', { result: 'unschedulable', profile: 'default-scheduler' }) >= 1);
  const les = samples(now, 'scheduler_scheduling_attempt_duration_seconds_bucket', { result: 'scheduled' }).map((x) => x.labels.le);
  assert.ok(les.includes('0.001') && les.includes('16.384'), les.join(','));
});

test('controller manager: workqueue adds grow after a Deployment is created', async () => {
  const before = await scrape();
  const addsBefore = total(before, 'workqueue_adds_total', { name: 'deployment' });
  const r = await s.kubectl(['create', 'deployment', 'metrics-web', '--image', 'busybox', '--replicas', '2']);
  assert.equal(r.code, 0, r.stderr);
  const now = await eventually('deployment queue adds to grow', 15_000, async () => {
    const m = await scrape();
    return total(m, 'workqueue_adds_total', { name: 'deployment' }) > addsBefore &&
      total(m, 'workqueue_work_duration_seconds_count', { name: 'deployment' }) > 0
      ? m
      : undefined;
  });
  for (const name of [
    'workqueue_depth',
    'workqueue_adds_total',
    'workqueue_queue_duration_seconds',
    'workqueue_work_duration_seconds',
    'workqueue_retries_total',
  ])
    assert.ok(now.has(name), name);
  assert.ok(total(now, 'workqueue_queue_duration_seconds_count', { name: 'replicaset' }) > 0);
  assert.equal(samples(now, 'workqueue_depth', { name: 'deployment' }).length, 1);
  // The controllers' own requests (in this process, without HTTP) are counted as kube-apiserver counts loopback ones.
  assert.ok(
    total(now, 'apiserver_request_total', { verb: 'POST', group: 'apps', version: 'v1', resource: 'replicasets', scope: 'resource', code: '201' }) >= 1,
  );
});

test('node agent: /metrics on its own port, read through nodes/proxy', async () => {
  const node = (await s.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
  assert.ok(node);
  const m = await eventually('the running pods counted', 20_000, async () => {
    const x = await scrape(`/api/v1/nodes/${node}/proxy/metrics`);
    return total(x, 'kubelet_running_pods') >= 1 ? x : undefined;
  });
  assert.deepEqual(
    samples(m, 'kubelet_node_name').map((x) => [x.labels.node, x.value]),
    [[node, 1]],
  );
  assert.deepEqual(
    samples(m, 'kubelet_running_containers')
      .map((x) => x.labels.container_state)
      .sort(),
    ['created', 'exited', 'running', 'unknown'],
  );
  assert.ok(total(m, 'kubelet_running_containers', { container_state: 'running' }) >= 1);
  // The node agent's registry is its own: no apiserver series leak into it.
  assert.equal(m.has('apiserver_request_total'), false);
});

test('GET /metrics without credentials is refused (system:anonymous may not get the path)', async () => {
  const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(readFileSync(s.kubeconfig, 'utf8'))![1]!, 'base64');
  const status = await new Promise<number>((resolve, reject) => {
    const req = https.get(`${s.url}/metrics`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  assert.equal(status, 403);
});
