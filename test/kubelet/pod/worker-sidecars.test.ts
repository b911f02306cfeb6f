// Restartable init containers (sidecars) and the restart back-off's reset, with the
// scripted runtime double.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1.js';
import { SIM_RUN_SECONDS } from '../../../src/kubelet/runtime/types.js';
import { cond, fail, harness, makePod, ok } from './lifecycle-harness.js';

const quickExit = (names: string[]) => async (_p: unknown, c: Container) => (names.includes(c.name) ? { annotations: { [SIM_RUN_SECONDS]: '0.1' } } : {});

test('a sidecar starts first; the next init container waits for its startup probe; it runs beside the containers and is restarted when it exits', async () => {
  let proxyUp = false;
  const pod = makePod('side', [{ name: 'app', image: 'app:1' }], {
    initContainers: [
      { name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', startupProbe: { exec: { command: ['up?'] }, periodSeconds: 1 } },
      { name: 'setup', image: 'setup:1' },
    ],
  });
  const h = await harness(pod, { exec: (_c, cmd) => (cmd[0] === 'up?' && !proxyUp ? fail('not yet') : ok()) }, { containerConfig: quickExit(['setup']) });
  try {
    const waiting = await h.until((s) => !!s.initContainerStatuses?.[0]?.state?.running);
    assert.equal(waiting.initContainerStatuses![0]!.started, false);
    assert.equal(waiting.initContainerStatuses![1]!.state!.waiting!.reason, 'PodInitializing');
    assert.equal(waiting.phase, 'Pending');
    await h.waitFor('a startup probe run', () => h.rt.execs.length >= 1, 3000);
    assert.ok(!h.rt.creates.some((c) => c.metadata.name === 'setup'), 'setup waits for the sidecar to start');
    proxyUp = true;
    const running = await h.until((s) => s.phase === 'Running' && !!s.containerStatuses![0]!.state?.running, 5000);
    assert.deepEqual(
      h.rt.creates.map((c) => c.metadata.name),
      ['proxy', 'setup', 'app'],
    );
    const [proxy, setup] = running.initContainerStatuses!;
    assert.ok(proxy!.state!.running, 'the sidecar keeps running');
    assert.equal(proxy!.started, true);
    assert.equal(proxy!.ready, true);
    assert.equal(setup!.state!.terminated!.reason, 'Completed');
    assert.equal(setup!.ready, true, 'a completed init container is ready');
    assert.equal(cond(running, 'Initialized'), 'True');
    assert.equal(cond(running, 'Ready'), 'True');
    await h.rt.exit('proxy');
    const again = await h.until((s) => s.initContainerStatuses![0]!.restartCount === 1 && !!s.initContainerStatuses![0]!.state?.running, 4000);
    assert.ok(again.containerStatuses![0]!.state!.running, 'the app was left alone');
    assert.equal(h.rt.creates.filter((c) => c.metadata.name === 'setup').length, 1, 'init containers are not run again');
  } finally {
    await h.close();
  }
});

test('a sidecar does not keep a Never pod from completing: it is stopped once the containers are done', async () => {
  const pod = makePod('job', [{ name: 'work', image: 'app:1' }], {
    restartPolicy: 'Never',
    initContainers: [{ name: 'log-shipper', image: 'ship:1', restartPolicy: 'Always' }],
  });
  const h = await harness(pod, {}, { containerConfig: quickExit(['work']) });
  try {
    const s = await h.until((s) => s.phase === 'Succeeded', 4000);
    assert.ok(s.initContainerStatuses![0]!.state!.terminated, 'the sidecar was stopped');
    assert.equal(s.initContainerStatuses![0]!.restartCount, 0, 'and not restarted');
    assert.deepEqual(
      h.rt.stops.map((x) => x.container),
      ['log-shipper'],
    );
    assert.ok(
      h.statuses.some((x) => x.phase === 'Running'),
      'Running while the work ran',
    );
  } finally {
    await h.close();
  }
});

test('the restart back-off doubles, and starts over after a container ran ten minutes', async () => {
  let offset = 0;
  const clock = () => Date.now() + offset;
  let longRun = false;
  const pod = makePod('crash', [{ name: 'c', image: 'app:1' }]);
  const h = await harness(
    pod,
    { clock },
    {
      now: clock,
      containerConfig: async () => (longRun ? {} : { annotations: { [SIM_RUN_SECONDS]: '0.02' } }),
    },
  );
  const waiting = () => h.current().status?.containerStatuses?.[0]?.state?.waiting;
  try {
    // Exits at once; the first restart is immediate, the next waits 10 s.
    await h.until((s) => s.containerStatuses![0]!.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.equal(h.current().status!.containerStatuses![0]!.restartCount, 1);
    assert.match(waiting()!.message!, /^back-off 10s /);
    offset += 11_000;
    h.worker.kick();
    await h.until((s) => s.containerStatuses![0]!.restartCount === 2 && s.containerStatuses![0]!.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.match(waiting()!.message!, /^back-off 20s /);
    // This attempt keeps running: eleven minutes pass before it exits.
    longRun = true;
    offset += 21_000;
    h.worker.kick();
    await h.until((s) => s.containerStatuses![0]!.restartCount === 3 && !!s.containerStatuses![0]!.state?.running);
    longRun = false;
    offset += 11 * 60_000;
    await h.rt.exit('c');
    // Restarted at once (back-off reset), and the following crash waits the initial 10 s again, not 40 s.
    const s = await h.until((s) => s.containerStatuses![0]!.restartCount === 4 && s.containerStatuses![0]!.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.match(s.containerStatuses![0]!.state!.waiting!.message!, /^back-off 10s /);
    assert.equal(h.events.filter((e) => e.reason === 'BackOff').length, 3);
  } finally {
    await h.close();
  }
});

test('deletion stops the containers first, then the sidecars with what is left of the grace period', async () => {
  const pod = makePod('del', [{ name: 'app', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain'] } } } }], {
    initContainers: [{ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always' }],
  });
  const h = await harness(pod, {
    exec: async () => {
      await new Promise((r) => setTimeout(r, 1100));
      return ok();
    },
  });
  try {
    await h.until((s) => s.phase === 'Running' && !!s.containerStatuses![0]!.state?.running);
    h.delete(20);
    await h.waitFor('DELETE', () => h.deleted.length === 1, 5000);
    assert.deepEqual(
      h.rt.stops.map((s) => [s.container, s.timeoutSeconds]),
      [
        ['app', 19],
        ['proxy', 19],
      ],
    );
  } finally {
    await h.close();
  }
});

test('a failing startup probe kills the container and restarts it', async () => {
  const pod = makePod('sf', [{ name: 'c', image: 'app:1', startupProbe: { exec: { command: ['up?'] }, periodSeconds: 1, failureThreshold: 1 } }]);
  let failures = 0;
  const h = await harness(pod, { exec: () => (failures++ < 1 ? fail('still booting') : ok()) });
  try {
    const s = await h.until((s) => s.containerStatuses![0]!.restartCount === 1 && s.containerStatuses![0]!.started === true, 5000);
    assert.ok(s.containerStatuses![0]!.lastState!.terminated);
    assert.ok(h.events.some((e) => e.reason === 'Unhealthy' && e.message === 'Startup probe failed: still booting'));
    assert.ok(h.events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed startup probe, will be restarted'));
  } finally {
    await h.close();
  }
});
