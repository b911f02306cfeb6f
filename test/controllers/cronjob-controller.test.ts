import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { CronJobController } from '../../src/controllers/cronjob/controller.js';
import { compileSchedule, formatInZone } from '../../src/controllers/cronjob/schedule.js';
import { harness, simplePodSpec, waitFor, type Harness } from './job-harness.js';

test('schedules: next firing in UTC and in a named zone, day-of-month OR day-of-week, macros', () => {
  const t0 = Date.parse('2026-03-07T10:07:30Z'); // a Saturday
  assert.equal(new Date(compileSchedule('*/15 * * * *').next(t0)!).toISOString(), '2026-03-07T10:15:00.000Z');
  assert.equal(new Date(compileSchedule('@hourly', 'UTC').next(t0)!).toISOString(), '2026-03-07T11:00:00.000Z');
  // 09:00 in New York (EST, UTC-5, before the March 8 DST change) is 14:00 UTC.
  assert.equal(new Date(compileSchedule('0 9 * * *', 'America/New_York').next(t0)!).toISOString(), '2026-03-07T14:00:00.000Z');
  // After the change (EDT, UTC-4): 13:00 UTC.
  assert.equal(new Date(compileSchedule('0 9 * * *', 'America/New_York').next(Date.parse('2026-03-08T15:00:00Z'))!).toISOString(), '2026-03-09T13:00:00.000Z');
  // "1st of the month or Monday": Monday March 9 comes before April 1.
  assert.equal(new Date(compileSchedule('0 0 1 * 1', 'UTC').next(t0)!).toISOString(), '2026-03-09T00:00:00.000Z');
  assert.equal(new Date(compileSchedule('TZ=Asia/Tokyo 30 8 * * *').next(t0)!).toISOString(), '2026-03-07T23:30:00.000Z');
  // A day field written `*`, `?` or `*/1` is a wildcard: the other day field alone decides (Mondays only).
  for (const dom of ['*', '?', '*/1'])
    assert.equal(new Date(compileSchedule(`0 0 ${dom} * 1`, 'UTC').next(Date.parse('2026-03-09T00:00:00Z'))!).toISOString(), '2026-03-16T00:00:00.000Z', dom);
  // As robfig/cron: 02:30 does not exist on the spring-forward day (skipped), 01:30 happens twice on the fall-back day.
  const at230 = compileSchedule('30 2 * * *', 'America/New_York');
  assert.equal(new Date(at230.next(Date.parse('2026-03-07T12:00:00Z'))!).toISOString(), '2026-03-09T06:30:00.000Z');
  const at130 = compileSchedule('30 1 * * *', 'America/New_York');
  const first = at130.next(Date.parse('2026-10-31T12:00:00Z'))!;
  assert.deepEqual(
    [first, at130.next(first)!].map((t) => new Date(t).toISOString()),
    ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z'],
  );
  assert.equal(compileSchedule('0 0 30 2 *', 'UTC').next(t0), undefined, 'February 30th never comes');
  assert.equal(new Date(compileSchedule('@every 90s').next(Date.parse('2026-03-07T00:00:10.500Z'))!).toISOString(), '2026-03-07T00:01:40.000Z');
  assert.throws(() => compileSchedule('0 0 * * 7'), /end of range \(7\) above maximum \(6\)/);
  assert.equal(formatInZone(Date.parse('2026-03-07T14:00:00Z'), 'America/New_York'), '2026-03-07T09:00:00-05:00');
  assert.equal(formatInZone(Date.parse('2026-03-07T14:00:00Z'), 'UTC'), '2026-03-07T14:00:00Z');
});

function cron(name: string, spec: Record<string, unknown>): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: { schedule: '*/5 * * * *', timeZone: 'UTC', jobTemplate: { spec: { template: { spec: simplePodSpec() } } }, ...spec },
  } as unknown as CronJob;
}

async function jobsOf(h: Harness, cj: string): Promise<Job[]> {
  return (await h.client.jobs.list({ namespace: 'default' })).items.filter((j) => j.metadata?.ownerReferences?.[0]?.name === cj);
}

async function complete(h: Harness, job: Job, type: 'Complete' | 'Failed', at: number): Promise<void> {
  const ts = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
  const cur = await h.client.jobs.get(job.metadata!.name!, 'default');
  await h.client.jobs.updateStatus(
    {
      ...cur,
      status: {
        startTime: ts,
        ...(type === 'Complete' ? { completionTime: ts, succeeded: 1 } : { failed: 1 }),
        conditions: [
          {
            type: type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget',
            status: 'True',
            lastTransitionTime: ts,
            lastProbeTime: ts,
            reason: type === 'Complete' ? 'CompletionsReached' : 'BackoffLimitExceeded',
            message: 'x',
          },
          {
            type,
            status: 'True',
            lastTransitionTime: ts,
            lastProbeTime: ts,
            reason: type === 'Complete' ? 'CompletionsReached' : 'BackoffLimitExceeded',
            message: 'x',
          },
        ],
      },
    },
    { namespace: 'default' },
  );
}

test('creates Jobs on schedule with the scheduled-minute name; Forbid skips while one runs; history limits', async () => {
  const h = await harness();
  try {
    h.clock.real = false;
    h.clock.now = Date.now();
    const [c] = (await h.start((ctx) => new CronJobController(ctx))) as CronJobController[];
    await h.client.cronJobs.create(cron('tick', { concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 2 }));
    const created = Date.parse((await h.client.cronJobs.get('tick', 'default')).metadata!.creationTimestamp!);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await jobsOf(h, 'tick')).length, 0, 'nothing before the first scheduled time');

    const first = compileSchedule('*/5 * * * *', 'UTC').next(created)!;
    h.clock.now = first + 1000;
    c!.resyncAll();
    const j1 = await waitFor('first job', async () => (await jobsOf(h, 'tick'))[0]);
    assert.equal(j1.metadata!.name, `tick-${first / 60_000}`);
    assert.equal(j1.metadata!.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace('.000Z', 'Z'));
    const st = await waitFor('status', async () => {
      const s = (await h.client.cronJobs.get('tick', 'default')).status;
      return s?.active?.length ? s : undefined;
    });
    assert.equal(st.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
    assert.equal(st.active![0]!.name, j1.metadata!.name);

    // Forbid: the next slot passes while the first Job runs.
    h.clock.now = first + 5 * 60_000 + 1000;
    c!.resyncAll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await jobsOf(h, 'tick')).length, 1);

    // Finish it; later slots each create one Job; only 2 finished ones are kept.
    for (let i = 2; i <= 4; i++) {
      const running = (await jobsOf(h, 'tick')).find((j) => !j.status?.conditions?.length)!;
      // Move the clock first: a Job finishing with a slot still open would start that slot late.
      h.clock.now = first + i * 5 * 60_000 + 1000;
      await complete(h, running, 'Complete', h.clock.now);
      c!.resyncAll();
      await waitFor(`job ${i}`, async () => (await jobsOf(h, 'tick')).some((j) => j.metadata!.name === `tick-${(first + i * 5 * 60_000) / 60_000}`));
    }
    const names = await waitFor('history pruned', async () => {
      const js = await jobsOf(h, 'tick');
      const done = js.filter((j) => j.status?.conditions?.length && !j.metadata?.deletionTimestamp);
      return done.length === 2 ? js : undefined;
    });
    assert.ok(!names.some((j) => j.metadata!.name === j1.metadata!.name), 'the oldest finished Job was deleted');
    const s = (await h.client.cronJobs.get('tick', 'default')).status!;
    assert.ok(s.lastSuccessfulTime);
    assert.equal(s.active?.length, 1);
  } finally {
    h.stop();
  }
});

test('missed schedules: starts only the latest; a slot past startingDeadlineSeconds is skipped; Replace replaces', async () => {
  const h = await harness();
  try {
    h.clock.real = false;
    h.clock.now = Date.now();
    const [c] = (await h.start((ctx) => new CronJobController(ctx))) as CronJobController[];
    await h.client.cronJobs.create(cron('late', { schedule: '* * * * *', concurrencyPolicy: 'Replace' }));
    const created = Date.parse((await h.client.cronJobs.get('late', 'default')).metadata!.creationTimestamp!);
    // Three hours of missed minutes: more than 100 → a warning, and only the latest runs.
    h.clock.now = created + 3 * 3600_000 + 30_000;
    const latest = Math.floor(h.clock.now / 60_000);
    c!.resyncAll();
    const j = await waitFor('one job', async () => (await jobsOf(h, 'late'))[0]);
    assert.equal(j.metadata!.name, `late-${latest}`);
    await waitFor('TooManyMissedTimes event', async () =>
      (await h.client.events.list({ namespace: 'default' })).items.some((e) => e.reason === 'TooManyMissedTimes'),
    );
    assert.equal((await jobsOf(h, 'late')).length, 1);

    // Replace: the next minute's Job replaces the running one.
    h.clock.now += 60_000;
    c!.resyncAll();
    await waitFor('replaced', async () => {
      const js = (await jobsOf(h, 'late')).filter((x) => !x.metadata?.deletionTimestamp);
      return js.length === 1 && js[0]!.metadata!.name === `late-${latest + 1}`;
    });

    await h.client.cronJobs.create(cron('strict', { schedule: '0 * * * *', startingDeadlineSeconds: 10 }));
    const slot = compileSchedule('0 * * * *', 'UTC').next(h.clock.now)!;
    // A slot more than startingDeadlineSeconds ago is not started.
    h.clock.now = slot + 60_000;
    c!.resyncAll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await jobsOf(h, 'strict')).length, 0);
    // Within the deadline of the next slot, it is.
    h.clock.now = slot + 3600_000 + 5000;
    c!.resyncAll();
    await waitFor('strict job', async () => (await jobsOf(h, 'strict')).length === 1);
  } finally {
    h.stop();
  }
});

test("a schedule that never fires (Feb 31) gets kube-controller-manager's InvalidSchedule Warning and no Job", async () => {
  const h = await harness();
  try {
    const [c] = (await h.start((ctx) => new CronJobController(ctx))) as CronJobController[];
    await h.client.cronJobs.create(cron('never', { schedule: '59 23 31 2 *' }));
    c!.resyncAll();
    const ev = await waitFor('InvalidSchedule event', async () =>
      (await h.client.events.list({ namespace: 'default' })).items.find((e) => e.reason === 'InvalidSchedule'),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, 'invalid schedule: 59 23 31 2 * : time difference between two schedules is less than 1 second');
    assert.equal(ev.involvedObject.name, 'never');
    assert.equal((await jobsOf(h, 'never')).length, 0);
  } finally {
    await h.stop();
  }
});
