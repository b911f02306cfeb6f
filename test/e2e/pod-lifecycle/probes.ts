// Pod lifecycle e2e themes (run by ../pod-lifecycle.test.ts on one shared node): probes, restarts
// and back-off, lifecycle hooks, restart policies.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { RealNode } from '../../helpers/real-node.js';
import { sleep, BUSYBOX, IDLE, podYaml, apply, getPod, until, condition, secondsSince, podRow, exec, logs } from '../../helpers/pod-kubectl.js';
import type { Theme } from './theme.js';

async function readinessGatesReady(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'ready-gate',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 4; touch /tmp/ready; ${IDLE}']
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
`,
    ),
  );
  // The same through HTTP: httpd answers 404 for /ready until the file appears.
  await apply(
    node,
    podYaml(
      'ready-http',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: skiff.local/httpd:1.35
    command: [sh, -c, 'httpd -p 8080 -h /www; sleep 4; echo ok > /www/ready; ${IDLE}']
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
`,
    ),
  );
  const t0 = Date.now();
  const notReady = await until(node, 'ready-gate Running but not Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-gate');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(condition(notReady, 'Ready'), 'False', 'Ready stays False until the probe succeeds');
  assert.equal(condition(notReady, 'ContainersReady'), 'False');
  assert.equal(notReady.status?.containerStatuses?.[0]?.ready, false);
  assert.equal(notReady.status?.containerStatuses?.[0]?.started, true);
  assert.equal((await podRow(node, 'ready-gate')).READY, '0/1');
  const running = secondsSince(t0);
  const ready = await until(node, 'ready-gate Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-gate');
    return condition(p, 'Ready') === 'True' ? p : undefined;
  });
  assert.ok(Date.now() - t0 >= 3000, 'Ready only after the file appeared (~4 s after start)');
  assert.equal(ready.status?.containerStatuses?.[0]?.ready, true);
  assert.equal(condition(ready, 'ContainersReady'), 'True');
  assert.equal((await podRow(node, 'ready-gate')).READY, '1/1');
  t.diagnostic(`readiness: Running (0/1) after ${running} s, Ready (1/1) after ${secondsSince(t0)} s`);

  const http = await until(node, 'ready-http Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-http');
    return condition(p, 'Ready') === 'True' ? p : undefined;
  });
  assert.equal(http.status?.containerStatuses?.[0]?.restartCount, 0, 'the TCP liveness probe passes');
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=ready-http,reason=Unhealthy', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  const messages = (JSON.parse(ev.stdout) as { items: { message?: string }[] }).items.map((e) => e.message);
  assert.ok(
    messages.some((m) => /^Readiness probe failed: HTTP probe failed with statuscode: 404/.test(m ?? '')),
    `a 404 readiness event: ${JSON.stringify(messages)}`,
  );
}

async function livenessRestarts(t: TestContext, node: RealNode): Promise<void> {
  // The first run never creates /tmp/alive, so the probe fails and the container is
  // restarted; the second run (marker on the emptyDir) is healthy, so exactly one restart.
  await apply(
    node,
    podYaml(
      'liveness',
      `
  terminationGracePeriodSeconds: 2
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: state, mountPath: /state}]
    command: [sh, -c, 'if [ -f /state/ran ]; then echo second run; touch /tmp/alive; else echo first run; touch /state/ran; fi; ${IDLE}']
    livenessProbe:
      exec: {command: [test, -f, /tmp/alive]}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 2
`,
    ),
  );
  const t0 = Date.now();
  const restarted = await until(node, 'liveness restarted once and running again', 45_000, async () => {
    const p = await getPod(node, 'liveness');
    const cs = p?.status?.containerStatuses?.[0];
    return cs?.restartCount === 1 && cs.state?.running ? p : undefined;
  });
  t.diagnostic(`liveness: restarted and running again after ${secondsSince(t0)} s`);
  const cs = restarted.status!.containerStatuses![0]!;
  assert.ok(cs.lastState?.terminated, `lastState.terminated is set: ${JSON.stringify(cs.lastState)}`);
  assert.ok(cs.lastState.terminated.finishedAt, 'the previous run has a finish time');
  assert.notEqual(cs.lastState.terminated.containerID, cs.containerID, 'a new container replaced the killed one');
  const cri = await node.cri();
  try {
    const sandboxes = (await cri.listPodSandbox()).filter((sb) => sb.metadata?.uid === restarted.metadata!.uid);
    assert.equal(sandboxes.length, 1, "a container restart keeps the pod's sandbox (and so its IP)");
  } finally {
    await cri.close();
  }
  await sleep(3000);
  const later = await getPod(node, 'liveness');
  assert.equal(later?.status?.containerStatuses?.[0]?.restartCount, 1, 'the healthy second run is not restarted');

  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  const events = (JSON.parse(ev.stdout) as { items: { reason?: string; message?: string; type?: string }[] }).items;
  const unhealthy = events.find((e) => e.reason === 'Unhealthy');
  assert.ok(unhealthy, `an Unhealthy event: ${JSON.stringify(events.map((e) => e.reason))}`);
  assert.equal(unhealthy.type, 'Warning');
  assert.match(unhealthy.message ?? '', /^Liveness probe failed/);
  const killing = events.find((e) => e.reason === 'Killing');
  assert.ok(killing, 'a Killing event');
  assert.match(killing.message ?? '', /failed liveness probe, will be restarted/);
  const described = await node.kubectl(['describe', 'pod', 'liveness']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Warning\s+Unhealthy\s+.*Liveness probe failed/);
  assert.match(described.stdout, /Normal\s+Killing\s+.*failed liveness probe/);
  assert.match(described.stdout, /Restart Count:\s+1/);
  assert.match(described.stdout, /Last State:\s+Terminated/);
  assert.equal((await logs(node, 'liveness')).trim(), 'second run');
  const prev = await node.kubectl(['logs', 'liveness', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.equal(prev.stdout.trim(), 'first run');
}

async function crashLoopBacksOff(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'crasher',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: crash
    image: ${BUSYBOX}
    command: [sh, -c, 'echo crashing; exit 1']
    terminationMessagePolicy: FallbackToLogsOnError
`,
    ),
  );
  const t0 = Date.now();
  const seen = new Map<string, { at: string; restarts: number }>();
  const waiting = await until(
    node,
    'back-off 20s',
    45_000,
    async () => {
      const p = await getPod(node, 'crasher');
      const cs = p?.status?.containerStatuses?.[0];
      const w = cs?.state?.waiting;
      if (w?.reason === 'CrashLoopBackOff') {
        const m = /^back-off (\d+s) restarting failed container=crash pod=crasher_default\(/.exec(w.message ?? '');
        assert.ok(m, `back-off message as the kubelet writes it: ${w.message}`);
        if (!seen.has(m[1]!)) seen.set(m[1]!, { at: secondsSince(t0), restarts: cs!.restartCount });
        if (m[1] === '20s') return p;
      }
      return undefined;
    },
    300,
  );
  t.diagnostic(`crash loop: ${[...seen].map(([d, s]) => `back-off ${d} at ${s.at} s (restartCount ${s.restarts})`).join(', ')}`);
  assert.ok(seen.has('10s'), 'a 10 s back-off came before the 20 s one');
  assert.ok(seen.get('20s')!.restarts > seen.get('10s')!.restarts, 'restartCount grows');
  const cs = waiting.status!.containerStatuses![0]!;
  assert.equal(cs.lastState?.terminated?.exitCode, 1);
  assert.equal(cs.lastState?.terminated?.reason, 'Error');
  assert.equal((await podRow(node, 'crasher')).STATUS, 'CrashLoopBackOff');
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher,reason=BackOff', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(JSON.parse(ev.stdout).items.length > 0, 'a BackOff event');
  assert.equal(cs.lastState?.terminated?.message, 'crashing\n', 'FallbackToLogsOnError: the log tail is the message');
  assert.match(await logs(node, 'crasher'), /crashing/);
  const t1 = Date.now();
  const del = await node.kubectl(['delete', 'pod', 'crasher', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  t.diagnostic(`crash loop: a pod in back-off deleted in ${secondsSince(t1)} s`);
  assert.ok(Date.now() - t1 < 10_000, 'a pod waiting in back-off is deleted without waiting for the back-off');
}

async function hooksAndStartupProbe(t: TestContext, node: RealNode): Promise<void> {
  // The liveness probe would fail at once (failureThreshold 1) if it ran before the startup
  // probe succeeded; the preStop hook delays deletion by ~2 s although the container stops on TERM.
  await apply(
    node,
    podYaml(
      'hooks',
      `
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 3; touch /tmp/started; ${IDLE}']
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'echo hook ran > /tmp/poststart']}}
      preStop: {exec: {command: [sleep, '2']}}
    startupProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 15
    livenessProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 1
`,
    ),
  );
  const t0 = Date.now();
  const early = await until(node, 'hooks Running', 30_000, async () => {
    const p = await getPod(node, 'hooks');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(early.status?.containerStatuses?.[0]?.started, false, 'not started before the startup probe succeeds');
  assert.equal(await exec(node, 'hooks', ['cat', '/tmp/poststart']), 'hook ran\n', 'postStart ran before Running');
  const started = await until(node, 'hooks started and Ready', 30_000, async () => {
    const p = await getPod(node, 'hooks');
    return p?.status?.containerStatuses?.[0]?.started && condition(p, 'Ready') === 'True' ? p : undefined;
  });
  t.diagnostic(`startup probe: started and Ready after ${secondsSince(t0)} s`);
  assert.equal(started.status?.containerStatuses?.[0]?.restartCount, 0, 'liveness did not run before startup succeeded');
  const t1 = Date.now();
  const del = await node.kubectl(['delete', 'pod', 'hooks', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  const took = (Date.now() - t1) / 1000;
  t.diagnostic(`preStop: the pod with a 2 s preStop hook was deleted in ${took.toFixed(1)} s`);
  assert.ok(took >= 1.8 && took < 9, `deletion waited for preStop, then TERM stopped the container (${took} s)`);
}

async function probeTimeout(t: TestContext, node: RealNode): Promise<void> {
  // An exec probe that outlives timeoutSeconds fails (the kubelet enforces exec timeouts).
  await apply(
    node,
    podYaml(
      'slow-probe',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, '${IDLE}']
    livenessProbe:
      exec: {command: [sleep, '30']}
      timeoutSeconds: 1
      periodSeconds: 2
      failureThreshold: 1
`,
    ),
  );
  const t0 = Date.now();
  await until(node, 'slow-probe restarted for its probe timing out', 45_000, async () =>
    ((await getPod(node, 'slow-probe'))?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined,
  );
  t.diagnostic(`probe timeout: restarted ${secondsSince(t0)} s after apply`);
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=slow-probe,reason=Unhealthy', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  const messages = (JSON.parse(ev.stdout) as { items: { message?: string }[] }).items.map((e) => e.message ?? '');
  assert.ok(
    messages.some((m) => /^Liveness probe errored: .*timed out|^Liveness probe failed: .*timed out/.test(m)),
    `a timed-out probe event: ${JSON.stringify(messages)}`,
  );
}

async function onFailureAndJob(t: TestContext, node: RealNode): Promise<void> {
  // OnFailure: the failed first run is restarted, the successful second one ends the pod.
  await apply(
    node,
    podYaml(
      'on-failure',
      `
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: state, mountPath: /state}]
    command: [sh, -c, 'if [ -f /state/x ]; then echo second; exit 0; fi; touch /state/x; echo first; exit 1']
`,
    ),
  );
  const t0 = Date.now();
  const w = await node.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/on-failure', '--timeout=40s'], { timeoutMs: 50_000 });
  assert.equal(w.code, 0, `kubectl wait: ${w.stderr}`);
  t.diagnostic(`OnFailure: Succeeded after one restart, ${secondsSince(t0)} s after apply`);
  const p = await getPod(node, 'on-failure');
  assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 1);
  assert.equal(p?.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.equal(p?.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);

  const created = await node.kubectl(['create', 'job', 'hello', `--image=${BUSYBOX}`, '--', 'sh', '-c', 'echo hello from a job']);
  assert.equal(created.code, 0, created.stderr);
  const t1 = Date.now();
  const done = await node.kubectl(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(done.code, 0, `kubectl wait job: ${done.stderr}`);
  t.diagnostic(`Job: complete ${secondsSince(t1)} s after kubectl create job`);
  const l = await node.kubectl(['logs', 'job/hello']);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout.trim(), 'hello from a job');
}

export const probesThemes: Theme[] = [
  ['a readiness probe gates Ready', readinessGatesReady],
  ['a failing liveness probe restarts the container', livenessRestarts],
  ['a container that exits 1 goes CrashLoopBackOff with growing back-off', crashLoopBacksOff],
  ['postStart and preStop hooks, a startup probe gates liveness', hooksAndStartupProbe],
  ['an exec probe that exceeds timeoutSeconds fails', probeTimeout],
  ['restartPolicy OnFailure, kubectl wait, and a Job to completion', onFailureAndJob],
];
