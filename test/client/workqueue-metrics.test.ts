// A named work queue reports adds, depth, time queued, time worked and retries through the
// process's provider, into client-go's workqueue_* series; an unnamed queue reports nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWorkers, WorkQueue } from '../../src/client/workqueue.js';
import { installWorkQueueMetrics } from '../../src/controllers/lib/workqueue-metrics.js';
import { parsePrometheusText, samples, total } from '../helpers/prom-text.js';

test('workqueue_* series follow a named queue', async () => {
  const registry = installWorkQueueMetrics();
  let name = '';
  const q = new WorkQueue({ name: () => name });
  name = 'test-queue'; // read at first use, as a controller's subclass field is
  const unnamed = new WorkQueue();
  unnamed.add('x');
  q.add('a');
  q.add('b');
  q.add('a'); // already queued: not an add
  let m = parsePrometheusText(await registry.metrics());
  assert.equal(total(m, 'workqueue_adds_total', { name: 'test-queue' }), 2);
  assert.equal(total(m, 'workqueue_depth', { name: 'test-queue' }), 2);
  let failedOnce = false;
  const run = runWorkers(
    q,
    1,
    async (key) => {
      await new Promise((r) => setTimeout(r, 5));
      if (key === 'b' && !failedOnce) {
        failedOnce = true;
        throw new Error('once');
      }
    },
    { onError: () => {} },
  );
  for (let i = 0; i < 100 && !(failedOnce && q.len() === 0); i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  q.shutDown();
  await run;
  m = parsePrometheusText(await registry.metrics());
  assert.equal(total(m, 'workqueue_depth', { name: 'test-queue' }), 0);
  assert.equal(total(m, 'workqueue_retries_total', { name: 'test-queue' }), 1);
  assert.equal(total(m, 'workqueue_adds_total', { name: 'test-queue' }), 3);
  assert.equal(total(m, 'workqueue_queue_duration_seconds_count', { name: 'test-queue' }), 3);
  assert.equal(total(m, 'workqueue_work_duration_seconds_count', { name: 'test-queue' }), 3);
  assert.ok(total(m, 'workqueue_work_duration_seconds_sum', { name: 'test-queue' }) >= 0.012);
  const les = samples(m, 'workqueue_work_duration_seconds_bucket', { name: 'test-queue' }).map((s) => s.labels.le);
  assert.equal(les[0], '1e-8');
  assert.equal(les.at(-2), '10');
  assert.equal(samples(m, 'workqueue_adds_total').filter((s) => s.labels.name === '').length, 0);
});
