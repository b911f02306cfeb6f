// The pod worker with a runtime that runs processes (a scripted double): readiness gates
// Ready, liveness failures restart the container, the startup probe holds the others,
// postStart failures kill the container, preStop runs within the grace period on deletion.
// httpGet probes go to a real loopback server (the double's pods have IP 127.0.0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cond, fail, harness, makePod, ok } from './lifecycle-harness.js';

async function flagServer(): Promise<{ server: Server; port: number; set(healthy: boolean): void; hits(): number }> {
  let healthy = false;
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.statusCode = req.url === '/ready' && healthy ? 200 : 503;
    res.end(healthy ? 'ok' : 'not yet');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, set: (h) => (healthy = h), hits: () => hits };
}

test('a readiness probe (httpGet on the pod IP, named port) gates ready, Ready and ContainersReady', async () => {
  const srv = await flagServer();
  const pod = makePod('rd', [
    {
      name: 'web',
      image: 'httpd:1',
      ports: [{ name: 'http', containerPort: srv.port }],
      readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    },
  ]);
  const h = await harness(pod);
  try {
    const notReady = await h.until((s) => s.phase === 'Running');
    assert.equal(notReady.containerStatuses![0]!.ready, false);
    assert.equal(notReady.containerStatuses![0]!.started, true);
    assert.equal(cond(notReady, 'Ready'), 'False');
    assert.equal(cond(notReady, 'ContainersReady'), 'False');
    assert.equal(notReady.conditions!.find((c) => c.type === 'Ready')!.message, 'containers with unready status: [web]');
    const ev = await h.waitFor('a failed probe', () => h.events.find((e) => e.reason === 'Unhealthy'));
    assert.deepEqual(ev, { type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' });
    assert.ok(srv.hits() > 0);
    srv.set(true);
    const ready = await h.until((s) => cond(s, 'Ready') === 'True', 4000);
    assert.equal(ready.containerStatuses![0]!.ready, true);
    assert.equal(cond(ready, 'ContainersReady'), 'True');
    srv.set(false);
    const again = await h.until((s) => cond(s, 'Ready') === 'False', 4000);
    assert.equal(again.containerStatuses![0]!.ready, false);
    assert.equal(again.containerStatuses![0]!.restartCount, 0, 'readiness never restarts');
  } finally {
    await h.close();
    srv.server.close();
  }
});

test('a failing liveness probe kills the container with its grace period and restarts it', async () => {
  let sick = false;
  const pod = makePod('lv', [{ name: 'c', image: 'app:1', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 } }], {
    terminationGracePeriodSeconds: 7,
  });
  // Two failures (the threshold), then healthy again: the restarted container passes.
  let failures = 0;
  const h = await harness(pod, { exec: (_c, cmd) => (cmd[0] === 'check' && sick && failures++ < 2 ? fail('boom') : ok()) });
  try {
    const first = await h.until((s) => s.phase === 'Running');
    const firstId = first.containerStatuses![0]!.containerID;
    sick = true;
    const s = await h.until((s) => s.containerStatuses![0]!.restartCount === 1 && !!s.containerStatuses![0]!.state?.running, 6000);
    const cs = s.containerStatuses![0]!;
    assert.equal(cs.lastState?.terminated?.containerID, firstId);
    assert.notEqual(cs.containerID, firstId);
    assert.deepEqual(
      h.rt.stops.map((x) => [x.container, x.timeoutSeconds]),
      [['c', 7]],
    );
    const unhealthy = h.events.filter((e) => e.reason === 'Unhealthy');
    assert.equal(unhealthy.length, 2, 'one event per failed run');
    assert.deepEqual(unhealthy[0], { type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: boom' });
    assert.ok(h.events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'));
    // A liveness restart is immediate: no CrashLoopBackOff in between.
    assert.ok(!h.statuses.some((x) => x.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'));
  } finally {
    await h.close();
  }
});

test('the startup probe holds liveness and readiness until it passes, and gates started', async () => {
  let up = false;
  const pod = makePod('st', [
    {
      name: 'c',
      image: 'app:1',
      startupProbe: { exec: { command: ['started?'] }, periodSeconds: 1, failureThreshold: 30 },
      livenessProbe: { exec: { command: ['alive?'] }, periodSeconds: 1 },
      readinessProbe: { exec: { command: ['ready?'] }, periodSeconds: 1 },
    },
  ]);
  const h = await harness(pod, { exec: (_c, cmd) => (cmd[0] === 'started?' && !up ? fail('starting') : ok()) });
  try {
    const running = await h.until((s) => s.phase === 'Running');
    assert.equal(running.containerStatuses![0]!.started, false);
    assert.equal(running.containerStatuses![0]!.ready, false);
    await h.waitFor('two startup probes', () => h.rt.execs.filter((e) => e.cmd[0] === 'started?').length >= 2, 4000);
    assert.ok(!h.rt.execs.some((e) => e.cmd[0] !== 'started?'), 'nothing but the startup probe ran yet');
    up = true;
    const started = await h.until((s) => s.containerStatuses![0]!.started === true && s.containerStatuses![0]!.ready === true, 5000);
    assert.equal(cond(started, 'Ready'), 'True');
    const firstOther = h.rt.execs.findIndex((e) => e.cmd[0] !== 'started?');
    const lastStartup = h.rt.execs.map((e) => e.cmd[0]).lastIndexOf('started?');
    assert.ok(firstOther > lastStartup, 'liveness/readiness only after the startup probe passed; it is not run again');
    assert.equal(started.containerStatuses![0]!.restartCount, 0);
  } finally {
    await h.close();
  }
});

test('a failing postStart hook kills the container (FailedPostStartHook) and it restarts with back-off', async () => {
  const pod = makePod('ps', [{ name: 'c', image: 'app:1', lifecycle: { postStart: { exec: { command: ['hook'] } } } }]);
  const h = await harness(pod, { exec: () => fail('nope') });
  try {
    const s = await h.until((s) => s.containerStatuses![0]!.state?.waiting?.reason === 'CrashLoopBackOff', 4000);
    assert.equal(s.containerStatuses![0]!.restartCount, 1);
    const hook = h.events.find((e) => e.reason === 'FailedPostStartHook')!;
    assert.equal(hook.type, 'Warning');
    assert.equal(
      hook.message,
      'Exec lifecycle hook (["hook"]) for Container "c" in Pod "ps_default(uid-ps)" failed - error: command terminated with a non-zero exit code, message: "nope"',
    );
    assert.ok(h.events.some((e) => e.reason === 'Killing' && e.message === 'FailedPostStartHook'));
    assert.equal(h.rt.stops.length, 2, 'killed after each start');
  } finally {
    await h.close();
  }
});

test('deletion: preStop runs first and its time comes off the grace period; containers stop in parallel; then cleanup and DELETE', async () => {
  const cleaned: string[] = [];
  const pod = makePod('del', [
    { name: 'slow', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain'] } } } },
    { name: 'quick', image: 'app:1' },
  ]);
  const h = await harness(
    pod,
    {
      exec: async (_c, cmd) => {
        if (cmd[0] === 'drain') await new Promise((r) => setTimeout(r, 1100));
        return ok();
      },
    },
    { cleanupPod: async (uid) => void cleaned.push(uid) },
  );
  try {
    await h.until((s) => s.phase === 'Running');
    const t0 = Date.now();
    h.delete(10);
    await h.waitFor('DELETE', () => h.deleted.length === 1, 5000);
    const slow = h.rt.stops.find((s) => s.container === 'slow')!;
    const quick = h.rt.stops.find((s) => s.container === 'quick')!;
    assert.equal(slow.timeoutSeconds, 9, 'ten seconds less the one the preStop hook took');
    assert.ok(slow.at - t0 >= 1000, 'stopped after its preStop hook');
    assert.equal(quick.timeoutSeconds, 10);
    assert.ok(quick.at < slow.at, 'the other container did not wait for it');
    assert.deepEqual(
      h.events
        .filter((e) => e.reason === 'Killing')
        .map((e) => e.message)
        .sort(),
      ['Stopping container quick', 'Stopping container slow'],
    );
    assert.deepEqual(cleaned, ['uid-del']);
    assert.equal((await h.rt.sim.listPodSandbox()).length, 0);
  } finally {
    await h.close();
  }
});

test('a failing preStop hook is reported (FailedPreStopHook) and the container still stops', async () => {
  const pod = makePod('pre', [{ name: 'c', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain'] } } } }], { terminationGracePeriodSeconds: 5 });
  const h = await harness(pod, { exec: () => fail('cannot drain', 3) });
  try {
    await h.until((s) => s.phase === 'Running');
    h.delete(5);
    await h.waitFor('DELETE', () => h.deleted.length === 1);
    const ev = h.events.find((e) => e.reason === 'FailedPreStopHook')!;
    assert.match(
      ev.message,
      /^Exec lifecycle hook \(\["drain"\]\) for Container "c" in Pod "pre_default\(uid-pre\)" failed - error: .*message: "cannot drain"$/,
    );
    assert.equal(h.rt.stops[0]!.timeoutSeconds, 5);
  } finally {
    await h.close();
  }
});
