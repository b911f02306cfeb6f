import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { resources } from '../../src/client/resources.js';
import { ApiError } from '../../src/client/transport.js';
import { DisruptionController } from '../../src/controllers/disruption.js';
import { harness, runPod, simplePodSpec, waitFor } from './job-harness.js';

test('PDB status follows healthy pods; eviction is 201 while allowed, then 429 with the budget cause', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new DisruptionController(ctx));
    const pdbs = h.client.resource(resources.podDisruptionBudgets);
    for (let i = 0; i < 3; i++) {
      const p = await h.client.pods.create({
        metadata: { name: `web-${i}`, namespace: 'default', labels: { app: 'web' } },
        spec: simplePodSpec('Always'),
      } as Pod);
      await runPod(h.client, p);
    }
    await pdbs.create({
      metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    } as PodDisruptionBudget);
    const st = await waitFor('pdb status', async () => {
      const b = await pdbs.get('web', 'default');
      return b.status?.currentHealthy === 3 ? b.status : undefined;
    });
    assert.equal(st.desiredHealthy, 2);
    assert.equal(st.expectedPods, 3);
    assert.equal(st.disruptionsAllowed, 1);
    assert.equal(st.conditions?.[0]?.reason, 'SufficientPods');

    const evict = (name: string) =>
      h.client.pods.createSubresource(
        name,
        'eviction',
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
        { namespace: 'default' },
      );
    const ok = await evict('web-0');
    assert.equal((ok as { code?: number }).code, 201);
    const gone = await h.client.pods.get('web-0', 'default').catch(() => undefined);
    if (gone) assert.ok(gone.metadata?.deletionTimestamp);

    // The budget is used up before the controller even looks again: the decrement is atomic.
    const err = await evict('web-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError, `expected an error, got ${String(err)}`);
    assert.equal(err.code, 429);
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    const causes = (err.status as { details?: { causes?: { reason: string; message: string }[] } })?.details?.causes;
    assert.equal(causes?.[0]?.reason, 'DisruptionBudget');
    assert.match(causes?.[0]?.message ?? '', /^The disruption budget web needs 2 healthy pods and has \d currently$/);
    assert.equal((await h.client.pods.get('web-1', 'default')).metadata?.deletionTimestamp, undefined);

    const after = await waitFor('pdb recomputed', async () => {
      const b = await pdbs.get('web', 'default');
      return b.status?.currentHealthy === 2 ? b.status : undefined;
    });
    assert.equal(after.disruptionsAllowed, 0);
    assert.equal(after.conditions?.[0]?.reason, 'InsufficientPods');

    // A pod no budget covers is simply deleted.
    await h.client.pods.create({ metadata: { name: 'free', namespace: 'default' }, spec: simplePodSpec('Always') } as Pod);
    assert.equal(((await evict('free')) as { code?: number }).code, 201);
  } finally {
    h.stop();
  }
});
