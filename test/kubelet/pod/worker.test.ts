// The pod worker's state machine driven against the simulated runtime, with the API side
// played by a recorder that feeds each written status back to the worker (as the informer
// would).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { PodWorker, type PodApi } from '../../../src/kubelet/pod/worker.js';
import { restartBackoffMs } from '../../../src/kubelet/pod/containers.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import type { Logger } from '../../../src/util/log.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };

function makePod(name: string, spec: Partial<Pod['spec']> = {}, annotations: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...spec } as Pod['spec'],
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

interface Harness {
  worker: PodWorker;
  runtime: SimulatedRuntime;
  statuses: PodStatus[];
  deleted: Pod[];
  current(): Pod;
  until(pred: (s: PodStatus) => boolean, ms?: number): Promise<PodStatus>;
  close(): Promise<void>;
}

async function harness(pod: Pod, opts: { cidr?: string | null } = {}): Promise<Harness> {
  const runtime = new SimulatedRuntime({ hostIP: '198.18.0.1' });
  if (opts.cidr !== null) await runtime.updateRuntimeConfig({ podCidr: opts.cidr ?? '10.42.7.0/24' });
  const statuses: PodStatus[] = [];
  const deleted: Pod[] = [];
  let current = pod;
  const bySandbox = new Map<string, PodWorker>();
  const api: PodApi = {
    async writeStatus(_p, status) {
      statuses.push(status);
      current = { ...current, status };
      // The informer brings the written status back.
      setImmediate(() => worker.update(current));
    },
    async deletePod(p) {
      deleted.push(p);
      setImmediate(() => worker.update(undefined));
    },
  };
  const worker: PodWorker = new PodWorker(`default/${pod.metadata!.name}`, pod, {
    runtime,
    api,
    hostIP: '198.18.0.1',
    runtimeName: 'simulated',
    log: quiet,
    onFinished: () => {},
    onSandbox: (w, id) => {
      for (const [k, v] of bySandbox) if (v === w) bySandbox.delete(k);
      if (id) bySandbox.set(id, w);
    },
  });
  const unsubscribe = runtime.getContainerEvents((ev) => bySandbox.get(ev.podSandboxId)?.kick());
  worker.update(pod);
  return {
    worker,
    runtime,
    statuses,
    deleted,
    current: () => current,
    async until(pred, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = current.status!;
        if (statuses.length && pred(s)) return s;
        if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      worker.stop();
      unsubscribe();
      await runtime.close();
    },
  };
}

const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type)?.status;

test('a pod with restartPolicy Always goes Running with an IP from the pod CIDR and the kubelet conditions', async () => {
  const h = await harness(makePod('web'));
  try {
    const s = await h.until((s) => s.phase === 'Running');
    assert.match(s.podIP!, /^10\.42\.7\.\d+$/);
    assert.deepEqual(s.podIPs, [{ ip: s.podIP }]);
    assert.equal(s.hostIP, '198.18.0.1');
    assert.ok(s.startTime);
    assert.equal(s.qosClass, 'BestEffort');
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) assert.equal(cond(s, t), 'True', t);
    const cs = s.containerStatuses![0]!;
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state?.running?.startedAt);
    assert.match(cs.containerID!, /^simulated:\/\/[0-9a-f]{64}$/);
    assert.match(cs.imageID!, /^busybox@sha256:[0-9a-f]{64}$/);
    // Still running a while later: such containers run until deleted.
    await new Promise((r) => setTimeout(r, 1300));
    assert.equal(h.current().status!.phase, 'Running');
  } finally {
    await h.close();
  }
});

test('restartPolicy Never: the container exits 0 after about a second and the pod Succeeds', async () => {
  const h = await harness(makePod('job', { restartPolicy: 'Never' }));
  try {
    const running = await h.until((s) => s.phase === 'Running');
    const t0 = Date.now();
    const s = await h.until((s) => s.phase === 'Succeeded', 4000);
    assert.ok(Date.now() - t0 > 500, 'ran about a second');
    const term = s.containerStatuses![0]!.state!.terminated!;
    assert.equal(term.exitCode, 0);
    assert.equal(term.reason, 'Completed');
    assert.equal(cond(s, 'Ready'), 'False');
    assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    assert.equal(s.podIP, running.podIP, 'the IP stays in the status');
  } finally {
    await h.close();
  }
});

test('the exit-code annotation makes a Never pod Fail with reason Error', async () => {
  const h = await harness(makePod('bad', { restartPolicy: 'Never' }, { 'simulation.skiff.io/exit-code': '3', 'simulation.skiff.io/run-seconds': '0.05' }));
  try {
    const s = await h.until((s) => s.phase === 'Failed');
    const term = s.containerStatuses![0]!.state!.terminated!;
    assert.equal(term.exitCode, 3);
    assert.equal(term.reason, 'Error');
  } finally {
    await h.close();
  }
});

test('OnFailure restarts a failing container at once, then backs off with CrashLoopBackOff', async () => {
  const h = await harness(
    makePod('crash', { restartPolicy: 'OnFailure' }, { 'simulation.skiff.io/exit-code': '1', 'simulation.skiff.io/run-seconds': '0.05' }),
  );
  try {
    const s = await h.until((s) => s.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    const cs = s.containerStatuses![0]!;
    assert.equal(cs.restartCount, 1);
    assert.match(cs.state!.waiting!.message!, /^back-off 10s restarting failed container=c pod=crash_default\(uid-crash\)$/);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(s.phase, 'Running', 'a pod that will restart is not finished');
    assert.deepEqual([0, 1, 2, 3, 6, 10].map(restartBackoffMs), [0, 10_000, 20_000, 40_000, 300_000, 300_000]);
  } finally {
    await h.close();
  }
});

test('OnFailure does not restart a container that exits 0', async () => {
  const h = await harness(makePod('ok', { restartPolicy: 'OnFailure' }, { 'simulation.skiff.io/run-seconds': '0.05' }));
  try {
    const s = await h.until((s) => s.phase === 'Succeeded');
    assert.equal(s.containerStatuses![0]!.restartCount, 0);
  } finally {
    await h.close();
  }
});

test('init containers run one after another before the containers start', async () => {
  const pod = makePod(
    'init',
    {
      initContainers: [
        { name: 'i1', image: 'busybox' },
        { name: 'i2', image: 'busybox' },
      ],
    },
    { 'simulation.skiff.io/run-seconds': '0.1' },
  );
  const h = await harness(pod);
  try {
    const first = await h.until((s) => !!s.initContainerStatuses?.[0]?.state?.running);
    assert.equal(first.phase, 'Pending');
    assert.equal(first.initContainerStatuses![1]!.state!.waiting!.reason, 'PodInitializing');
    assert.equal(first.containerStatuses![0]!.state!.waiting!.reason, 'PodInitializing');
    assert.equal(cond(first, 'Initialized'), 'False');
    assert.match(first.conditions!.find((c) => c.type === 'Initialized')!.message!, /containers with incomplete status: \[i1 i2\]/);
    const second = await h.until((s) => !!s.initContainerStatuses?.[1]?.state?.running);
    assert.equal(second.initContainerStatuses![0]!.state!.terminated!.reason, 'Completed');
    // run-seconds applies to every container here, so the main one exits too (restarted: Always).
    const main = await h.until((s) => !!s.containerStatuses?.[0]?.state?.running || (s.containerStatuses?.[0]?.restartCount ?? 0) > 0);
    assert.equal(cond(main, 'Initialized'), 'True');
    assert.equal(
      main.initContainerStatuses!.every((c) => c.state?.terminated?.exitCode === 0),
      true,
    );
  } finally {
    await h.close();
  }
});

test('a failing init container fails a Never pod and its containers never start', async () => {
  const pod = makePod(
    'initfail',
    { restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'busybox' }] },
    { 'simulation.skiff.io/exit-code': '2', 'simulation.skiff.io/run-seconds': '0.05' },
  );
  const h = await harness(pod);
  try {
    const s = await h.until((s) => s.phase === 'Failed');
    assert.equal(s.initContainerStatuses![0]!.state!.terminated!.exitCode, 2);
    assert.ok(!s.containerStatuses![0]!.containerID, 'the main container was never created');
  } finally {
    await h.close();
  }
});

test('a pod waits for the node pod CIDR, then starts', async () => {
  const h = await harness(makePod('early'), { cidr: null });
  try {
    const s = await h.until((s) => s.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
    assert.equal(s.phase, 'Pending');
    assert.equal(s.podIP, undefined);
    await h.runtime.updateRuntimeConfig({ podCidr: '10.42.9.0/24' });
    h.worker.kick();
    const r = await h.until((s) => s.phase === 'Running');
    assert.match(r.podIP!, /^10\.42\.9\./);
  } finally {
    await h.close();
  }
});

test('graceful deletion: containers stopped, sandbox removed, then DELETE for this uid', async () => {
  const h = await harness(makePod('gone'));
  try {
    await h.until((s) => s.phase === 'Running');
    assert.equal((await h.runtime.listPodSandbox()).length, 1);
    const p = h.current();
    h.worker.update({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 } });
    const deadline = Date.now() + 3000;
    while (!h.deleted.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.deleted.length, 1);
    assert.equal(h.deleted[0]!.metadata!.uid, 'uid-gone');
    assert.equal((await h.runtime.listPodSandbox()).length, 0, 'sandbox removed');
    assert.equal((await h.runtime.listContainers()).length, 0, 'containers removed');
  } finally {
    await h.close();
  }
});

test('the simulated runtime hands out distinct IPs and reuses them only after going round', async () => {
  const rt = new SimulatedRuntime();
  await rt.updateRuntimeConfig({ podCidr: '10.42.3.0/29' });
  const meta = (n: string) => ({ metadata: { name: n, namespace: 'd', uid: n, attempt: 0 } });
  const ids = [];
  for (const n of ['a', 'b', 'c', 'd', 'e']) ids.push(await rt.runPodSandbox(meta(n)));
  const ips = await Promise.all(ids.map(async (id) => (await rt.podSandboxStatus(id)).network!.ip));
  assert.deepEqual(ips, ['10.42.3.2', '10.42.3.3', '10.42.3.4', '10.42.3.5', '10.42.3.6']);
  await assert.rejects(rt.runPodSandbox(meta('f')), /no IP addresses available/);
  await rt.removePodSandbox(ids[1]!);
  const again = await rt.runPodSandbox(meta('g'));
  assert.equal((await rt.podSandboxStatus(again)).network!.ip, '10.42.3.3');
  await rt.close();
});

test('activeDeadlineSeconds: once it runs out the containers stop and the pod fails with DeadlineExceeded', async () => {
  const h = await harness(makePod('deadline', { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 0 }));
  try {
    const running = await h.until((s) => s.phase === 'Running');
    assert.ok(running.startTime, 'the deadline counts from startTime');
    const failed = await h.until((s) => s.phase === 'Failed', 5000);
    assert.equal(failed.reason, 'DeadlineExceeded');
    assert.equal(failed.message, 'Pod was active on the node longer than the specified deadline');
    assert.ok(failed.containerStatuses?.[0]?.state?.terminated, `the container was stopped: ${JSON.stringify(failed.containerStatuses)}`);
    assert.ok(Date.now() >= Date.parse(running.startTime) + 1000, 'not before startTime + 1 s');
    await h.worker.settled();
    assert.equal((await h.runtime.listContainers()).filter((c) => c.state === 'CONTAINER_RUNNING').length, 0);
  } finally {
    await h.close();
  }
});

test('a sandbox that dies under a running pod is replaced: containers restart in a new one and the pod gets its new IP', async () => {
  const h = await harness(makePod('phoenix'));
  try {
    const before = await h.until((s) => s.phase === 'Running' && !!s.containerStatuses?.[0]?.state?.running);
    const [old] = await h.runtime.listPodSandbox();
    // Behind the worker's back, as when the pause process is killed.
    await h.runtime.stopPodSandbox(old!.id);
    h.worker.kick();
    const after = await h.until((s) => !!s.podIP && s.podIP !== before.podIP && !!s.containerStatuses?.[0]?.state?.running);
    assert.deepEqual(after.podIPs, [{ ip: after.podIP }]);
    assert.equal(after.phase, 'Running');
    const cs = after.containerStatuses![0]!;
    assert.equal(cs.restartCount, 1, 'the restart is counted');
    assert.notEqual(cs.containerID, before.containerStatuses![0]!.containerID);
    assert.ok(cs.lastState?.terminated, 'the killed container is the last state');
    const ready = (await h.runtime.listPodSandbox()).filter((s) => s.state === 'SANDBOX_READY');
    assert.equal(ready.length, 1);
    assert.notEqual(ready[0]!.id, old!.id);
    assert.equal(ready[0]!.network?.ip, after.podIP);
  } finally {
    await h.close();
  }
});

test('a finished pod whose sandbox the worker stopped gets no new one', async () => {
  const h = await harness(makePod('done', { restartPolicy: 'OnFailure' }, { 'simulation.skiff.io/run-seconds': '0.05' }));
  try {
    await h.until((s) => s.phase === 'Succeeded', 4000);
    await h.worker.settled();
    h.worker.kick();
    await new Promise((r) => setTimeout(r, 200));
    await h.worker.settled();
    const sandboxes = await h.runtime.listPodSandbox();
    assert.equal(sandboxes.length, 1);
    assert.equal(sandboxes[0]!.state, 'SANDBOX_NOTREADY');
  } finally {
    await h.close();
  }
});
