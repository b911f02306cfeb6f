import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { JobController } from '../../src/controllers/job/controller.js';
import { TRACKING_FINALIZER } from '../../src/controllers/job/policy.js';
import { finishPod, harness, runPod, simplePodSpec, waitFor } from './job-harness.js';

function job(name: string, spec: Record<string, unknown>): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: simplePodSpec() }, ...spec },
  } as unknown as Job;
}

async function podsOf(h: Awaited<ReturnType<typeof harness>>, name: string): Promise<Pod[]> {
  return (await h.client.pods.list({ namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}
const activeOf = (ps: Pod[]) => ps.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata?.deletionTimestamp);

test('completions 5, parallelism 2: never more than 2 active, 5 succeed, Complete with conditions', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new JobController(ctx, { backoff: { baseMs: 50, maxMs: 200 } }));
    await h.client.jobs.create(job('pi', { completions: 5, parallelism: 2 }));
    let maxActive = 0;
    for (let round = 0; round < 10; round++) {
      const ps = await waitFor('active pods', async () => {
        const ps = activeOf(await podsOf(h, 'pi'));
        return ps.length ? ps : undefined;
      }).catch(() => [] as Pod[]);
      if (!ps.length) break;
      maxActive = Math.max(maxActive, ps.length);
      for (const p of ps) {
        assert.ok(p.metadata?.finalizers?.includes(TRACKING_FINALIZER));
        await finishPod(h.client, p, 0);
      }
      const j = await h.client.jobs.get('pi', 'default');
      if (j.status?.conditions?.some((c) => c.type === 'Complete')) break;
    }
    const done = await waitFor('Complete', async () => {
      const j = await h.client.jobs.get('pi', 'default');
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    assert.ok(maxActive <= 2 && maxActive >= 1, `max active ${maxActive}`);
    assert.equal(done.status?.succeeded, 5);
    assert.equal(done.status?.failed ?? 0, 0);
    assert.ok(done.status?.completionTime && done.status.startTime);
    assert.deepEqual(
      done.status?.conditions?.map((c) => [c.type, c.reason]),
      [
        ['SuccessCriteriaMet', 'CompletionsReached'],
        ['Complete', 'CompletionsReached'],
      ],
    );
    assert.deepEqual(done.status?.uncountedTerminatedPods, { succeeded: [], failed: [] });
    const all = await podsOf(h, 'pi');
    assert.equal(all.filter((p) => p.status?.phase === 'Succeeded').length, 5);
    await waitFor('finalizers removed', async () => (await podsOf(h, 'pi')).every((p) => !p.metadata?.finalizers?.length));
  } finally {
    h.stop();
  }
});

test('failing pods: retried with growing back-off, then Failed with BackoffLimitExceeded', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new JobController(ctx, { backoff: { baseMs: 1500, maxMs: 60_000 } }));
    await h.client.jobs.create(job('bad', { backoffLimit: 2 }));
    const created: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const p = await waitFor(`pod ${i + 1}`, async () => activeOf(await podsOf(h, 'bad')).find((x) => !seen.has(x.metadata!.name!)), 5000);
      seen.add(p.metadata!.name!);
      created.push(Date.now());
      await finishPod(h.client, p, 1);
    }
    const j = await waitFor('Failed', async () => {
      const j = await h.client.jobs.get('bad', 'default');
      return j.status?.conditions?.some((c) => c.type === 'Failed') ? j : undefined;
    });
    assert.equal(j.status?.failed, 3);
    const failed = j.status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(failed.message, 'Job has reached the specified backoff limit');
    assert.ok(j.status!.conditions!.some((c) => c.type === 'FailureTarget'));
    const gap1 = created[1]! - created[0]!;
    const gap2 = created[2]! - created[1]!;
    // Finish times have whole-second precision (as in Kubernetes), so each delay may come up to 1 s early.
    assert.ok(gap1 >= 400 && gap1 <= 2000, `first retry after ${gap1} ms`);
    assert.ok(gap2 >= 1900 && gap2 > gap1, `second retry after ${gap2} ms (first ${gap1})`);
    assert.equal((await podsOf(h, 'bad')).length, 3, 'no pod after the limit');
  } finally {
    h.stop();
  }
});

test('Indexed: one pod per index with annotation, env and hostname; completedIndexes', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new JobController(ctx));
    await h.client.jobs.create(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const ps = await waitFor('3 pods', async () => {
      const ps = await podsOf(h, 'idx');
      return ps.length === 3 ? ps : undefined;
    });
    const indexes = ps.map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of ps) {
      const ix = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.spec?.hostname, `idx-${ix}`);
      assert.ok(p.metadata!.name!.startsWith(`idx-${ix}-`));
      assert.equal(
        p.spec?.containers[0]?.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath,
        "metadata.annotations['batch.kubernetes.io/job-completion-index']",
      );
    }
    const byIx = (i: string) => ps.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === i)!;
    await finishPod(h.client, byIx('0'), 0);
    await finishPod(h.client, byIx('2'), 0);
    await waitFor('completedIndexes 0,2', async () => (await h.client.jobs.get('idx', 'default')).status?.completedIndexes === '0,2');
    await finishPod(h.client, byIx('1'), 0);
    const j = await waitFor('Complete', async () => {
      const j = await h.client.jobs.get('idx', 'default');
      return j.status?.conditions?.some((c) => c.type === 'Complete') ? j : undefined;
    });
    assert.equal(j.status?.completedIndexes, '0-2');
    assert.equal(j.status?.succeeded, 3);
  } finally {
    h.stop();
  }
});

test('podFailurePolicy: Ignore does not count, FailJob fails at once', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new JobController(ctx, { backoff: { baseMs: 20, maxMs: 100 } }));
    await h.client.jobs.create(
      job('pfp', {
        backoffLimit: 6,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          ],
        },
      }),
    );
    const first = await waitFor('pod', async () => activeOf(await podsOf(h, 'pfp'))[0]);
    await finishPod(h.client, first, 3);
    const second = await waitFor('replacement', async () => activeOf(await podsOf(h, 'pfp')).find((p) => p.metadata!.name !== first.metadata!.name));
    assert.equal((await h.client.jobs.get('pfp', 'default')).status?.failed ?? 0, 0, 'ignored failure not counted');
    await finishPod(h.client, second, 42);
    const j = await waitFor('Failed', async () => {
      const j = await h.client.jobs.get('pfp', 'default');
      return j.status?.conditions?.some((c) => c.type === 'Failed') ? j : undefined;
    });
    const c = j.status!.conditions!.find((x) => x.type === 'Failed')!;
    assert.equal(c.reason, 'PodFailurePolicy');
    assert.equal(c.message, `Container main for pod default/${second.metadata!.name} failed with exit code 42 matching FailJob rule at index 1`);
    assert.equal(j.status?.failed, 1);
  } finally {
    h.stop();
  }
});

test('suspend deletes active pods and sets Suspended; activeDeadlineSeconds fails with DeadlineExceeded', async () => {
  const h = await harness();
  try {
    await h.start((ctx) => new JobController(ctx));
    await h.client.jobs.create(job('sus', { parallelism: 2, completions: 4 }));
    await waitFor('2 pods', async () => activeOf(await podsOf(h, 'sus')).length === 2);
    await h.client.jobs.patch('sus', { spec: { suspend: true } }, 'merge', { namespace: 'default' });
    const j = await waitFor('Suspended', async () => {
      const j = await h.client.jobs.get('sus', 'default');
      return j.status?.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True') && j.status.active === 0 ? j : undefined;
    });
    assert.equal(j.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'JobSuspended');
    await waitFor('pods deleted', async () => activeOf(await podsOf(h, 'sus')).length === 0);

    await h.client.jobs.create(job('late', { activeDeadlineSeconds: 1 }));
    const p = await waitFor('pod', async () => activeOf(await podsOf(h, 'late'))[0]);
    await runPod(h.client, p);
    const d = await waitFor(
      'DeadlineExceeded',
      async () => {
        const j = await h.client.jobs.get('late', 'default');
        return j.status?.conditions?.find((c) => c.type === 'FailureTarget');
      },
      4000,
    );
    assert.equal(d.reason, 'DeadlineExceeded');
    assert.equal(d.message, 'Job was active longer than specified deadline');
    const cur = await h.client.pods.get(p.metadata!.name!, 'default');
    assert.ok(cur.metadata?.deletionTimestamp, 'the running pod is deleted');
  } finally {
    h.stop();
  }
});
