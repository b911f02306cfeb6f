import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { resources } from '../../src/client/resources.js';
import { ApiError } from '../../src/client/transport.js';
import { ResourceQuotaController } from '../../src/controllers/resourcequota.js';
import { finishPod, harness, simplePodSpec, waitFor } from './job-harness.js';

const pod = (name: string, cpu?: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [{ name: 'main', image: 'busybox', ...(cpu ? { resources: { requests: { cpu, memory: '64Mi' }, limits: { cpu, memory: '64Mi' } } } : {}) }],
  },
});

async function refused(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, `expected a refusal, got ${String(err)}`);
  return err;
}

test("quota usage is computed; creates beyond it are refused with Kubernetes' message; finished pods free it", async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new ResourceQuotaController(ctx));
    const quotas = h.client.resource(resources.resourceQuotas);
    await h.client.configMaps.create({ metadata: { name: 'pre', namespace: 'default' }, data: {} });
    await quotas.create({
      metadata: { name: 'q', namespace: 'default' },
      spec: { hard: { pods: '2', configmaps: '2', 'count/jobs.batch': '5' } },
    } as ResourceQuota);
    const st = await waitFor('status', async () => {
      const s = (await quotas.get('q', 'default')).status;
      return s?.hard ? s : undefined;
    });
    assert.deepEqual(st.hard, { pods: '2', configmaps: '2', 'count/jobs.batch': '5' });
    assert.deepEqual(st.used, { pods: '0', configmaps: '1', 'count/jobs.batch': '0' });

    await h.client.pods.create(pod('a'));
    await h.client.pods.create(pod('b'));
    const err = await refused(h.client.pods.create(pod('c')));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    assert.equal((await quotas.get('q', 'default')).status?.used?.pods, '2');

    // A finished pod no longer counts; a deleted one neither.
    const a = await h.client.pods.get('a', 'default');
    await finishPod(h.client, a, 0);
    await waitFor('usage drops', async () => (await quotas.get('q', 'default')).status?.used?.pods === '1');
    await h.client.pods.create(pod('c'));
    await h.client.pods.delete('b', { namespace: 'default', gracePeriodSeconds: 0 });
    await waitFor('usage after delete', async () => (await quotas.get('q', 'default')).status?.used?.pods === '1');

    await h.client.configMaps.create({ metadata: { name: 'second', namespace: 'default' }, data: {} });
    const cmErr = await refused(h.client.configMaps.create({ metadata: { name: 'third', namespace: 'default' }, data: {} }));
    assert.equal(cmErr.message, 'configmaps "third" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=2, limited: configmaps=2');
  } finally {
    h.stop();
  }
});

test('compute quota: requests must be stated, sums are checked', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new ResourceQuotaController(ctx));
    const quotas = h.client.resource(resources.resourceQuotas);
    await quotas.create({
      metadata: { name: 'compute', namespace: 'default' },
      spec: { hard: { 'requests.cpu': '1', 'limits.memory': '128Mi' } },
    } as ResourceQuota);
    await waitFor('status', async () => (await quotas.get('compute', 'default')).status?.hard);
    const bare = await refused(h.client.pods.create({ metadata: { name: 'bare', namespace: 'default' }, spec: simplePodSpec() }));
    assert.equal(bare.code, 403);
    assert.match(bare.message, /failed quota: compute: must specify limits\.memory,requests\.cpu/);
    await h.client.pods.create(pod('p1', '600m'));
    const over = await refused(h.client.pods.create(pod('p2', '600m')));
    assert.equal(
      over.message,
      'pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    assert.deepEqual((await quotas.get('compute', 'default')).status?.used, { 'requests.cpu': '600m', 'limits.memory': '64Mi' });
  } finally {
    h.stop();
  }
});
