import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { TTLAfterFinishedController } from '../../src/controllers/ttl-after-finished.js';
import { harness, simplePodSpec, waitFor } from './job-harness.js';

test('a finished Job is deleted ttlSecondsAfterFinished after it finished, not before; unfinished ones stay', async () => {
  const h = await harness();
  try {
    h.clock.real = false;
    h.clock.now = Date.now();
    const [c] = (await h.start((ctx) => new TTLAfterFinishedController(ctx))) as TTLAfterFinishedController[];
    const mk = (name: string) =>
      h.client.jobs.create({
        metadata: { name, namespace: 'default' },
        spec: { ttlSecondsAfterFinished: 60, template: { spec: simplePodSpec() } },
      } as unknown as Job);
    const done = await mk('done');
    await mk('running');
    const ts = new Date(h.clock.now).toISOString().replace(/\.\d+Z$/, 'Z');
    await h.client.jobs.updateStatus(
      {
        ...done,
        status: {
          startTime: ts,
          completionTime: ts,
          succeeded: 1,
          conditions: [
            {
              type: 'SuccessCriteriaMet',
              status: 'True',
              lastTransitionTime: ts,
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
            },
            { type: 'Complete', status: 'True', lastTransitionTime: ts, reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
          ],
        },
      },
      { namespace: 'default' },
    );
    const gone = async (name: string) => {
      const j = await h.client.jobs.get(name, 'default').catch(() => undefined);
      return !j || !!j.metadata?.deletionTimestamp;
    };
    h.clock.now += 30_000;
    c!.resyncAll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await gone('done'), false, 'not before the TTL');
    h.clock.now += 31_000;
    c!.resyncAll();
    await waitFor('deleted', () => gone('done'));
    assert.equal(await gone('running'), false);
  } finally {
    h.stop();
  }
});
