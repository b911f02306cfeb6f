// buildPodStatus as a pure function: probe results, waiting reasons, runtime reasons,
// sidecars in the phase, readiness gates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { buildPodStatus, type ContainerView } from '../../../src/kubelet/pod/status.js';
import type { ContainerStatus, PodSandboxStatus } from '../../../src/kubelet/runtime/types.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const sandbox: PodSandboxStatus = {
  id: 's',
  metadata: { name: 'p', namespace: 'd', uid: 'u', attempt: 0 },
  state: 'SANDBOX_READY',
  createdAt: 0n,
  network: { ip: '10.42.0.5' },
};

function ctr(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    id: `id-${name}-${state}`,
    podSandboxId: 's',
    metadata: { name, attempt: 0 },
    state,
    createdAt: 1n,
    startedAt: 1_000_000n,
    finishedAt: state === 'CONTAINER_EXITED' ? 2_000_000n : 0n,
    exitCode: 0,
    image: { image: 'img:1' },
    imageRef: 'sha256:ab',
    ...extra,
  };
}
const view = (name: string, current?: ContainerStatus, more: Partial<ContainerView> = {}): ContainerView => ({
  name,
  image: 'img:1',
  current,
  restartCount: 0,
  ...more,
});

function pod(spec: Partial<Pod['spec']> = {}, conditions: Pod['status'] = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'd', uid: 'u' },
    spec: { containers: [{ name: 'c' }], ...spec } as Pod['spec'],
    status: { qosClass: 'BestEffort', ...conditions },
  };
}
const base = { sandbox, init: [], initDone: true, initFailed: false, hostIP: '127.0.0.1', runtimeName: 'containerd', now: NOW };
const cond = (s: { conditions?: { type: string; status: string; reason?: string; message?: string }[] }, t: string) => s.conditions!.find((c) => c.type === t)!;

test('probe results: started and ready as the worker reports them; running without probes is both', () => {
  const s = buildPodStatus({ ...base, pod: pod(), containers: [view('c', ctr('c', 'CONTAINER_RUNNING'), { started: true, ready: false })] });
  assert.equal(s.containerStatuses![0]!.ready, false);
  assert.equal(s.containerStatuses![0]!.started, true);
  assert.equal(cond(s, 'Ready').status, 'False');
  const t = buildPodStatus({ ...base, pod: pod(), containers: [view('c', ctr('c', 'CONTAINER_RUNNING'), { started: false, ready: true })] });
  assert.equal(t.containerStatuses![0]!.ready, false, 'not ready before it started');
  const u = buildPodStatus({ ...base, pod: pod(), containers: [view('c', ctr('c', 'CONTAINER_RUNNING'))] });
  assert.equal(u.containerStatuses![0]!.ready, true);
});

test("a waiting reason with a previous exit keeps the exit as lastState; the runtime's OOMKilled is kept", () => {
  const oom = ctr('c', 'CONTAINER_EXITED', { exitCode: 137, reason: 'OOMKilled' });
  const s = buildPodStatus({
    ...base,
    pod: pod(),
    containers: [view('c', oom, { waitingReason: 'ErrImagePull', waitingMessage: 'not found', restartCount: 1 })],
  });
  const cs = s.containerStatuses![0]!;
  assert.deepEqual(cs.state, { waiting: { reason: 'ErrImagePull', message: 'not found' } });
  assert.equal(cs.lastState!.terminated!.reason, 'OOMKilled');
  assert.equal(cs.lastState!.terminated!.exitCode, 137);
  const gone = buildPodStatus({ ...base, pod: pod({ restartPolicy: 'Never' }), containers: [view('c', oom)] });
  assert.equal(gone.containerStatuses![0]!.state!.terminated!.reason, 'OOMKilled');
  assert.equal(gone.phase, 'Failed');
});

test('sidecars: a running one keeps the pod Running and counts for Ready; stopped, the pod completes', () => {
  const spec = { restartPolicy: 'Never' as const, initContainers: [{ name: 'side', restartPolicy: 'Always' }, { name: 'setup' }] };
  const setup = view('setup', ctr('setup', 'CONTAINER_EXITED'));
  const done = view('c', ctr('c', 'CONTAINER_EXITED'));
  const s = buildPodStatus({
    ...base,
    pod: pod(spec),
    init: [view('side', ctr('side', 'CONTAINER_RUNNING'), { ready: false, started: true }), setup],
    containers: [done],
  });
  assert.equal(s.phase, 'Running');
  assert.equal(s.initContainerStatuses![1]!.ready, true, 'a completed init container is ready');
  const running = buildPodStatus({
    ...base,
    pod: pod({ ...spec, restartPolicy: 'Always' }),
    init: [view('side', ctr('side', 'CONTAINER_RUNNING'), { ready: false, started: true }), setup],
    containers: [view('c', ctr('c', 'CONTAINER_RUNNING'))],
  });
  assert.equal(cond(running, 'Ready').message, 'containers with unready status: [side]');
  const after = buildPodStatus({
    ...base,
    pod: pod(spec),
    init: [view('side', ctr('side', 'CONTAINER_EXITED', { exitCode: 143, reason: 'Error' })), setup],
    containers: [done],
  });
  assert.equal(after.phase, 'Succeeded', "a sidecar's exit code does not fail the pod");
});

test('a regular init container is not ready while it runs', () => {
  const s = buildPodStatus({
    ...base,
    initDone: false,
    pod: pod({ initContainers: [{ name: 'i' }] }),
    init: [view('i', ctr('i', 'CONTAINER_RUNNING'))],
    containers: [view('c')],
  });
  assert.equal(s.initContainerStatuses![0]!.ready, false);
  assert.equal(s.initContainerStatuses![0]!.started, true);
});

test('readiness gates hold Ready until their conditions are True', () => {
  const running = [view('c', ctr('c', 'CONTAINER_RUNNING'))];
  const gated = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
  const s = buildPodStatus({ ...base, pod: gated, containers: running });
  assert.equal(cond(s, 'ContainersReady').status, 'True');
  assert.deepEqual(
    [cond(s, 'Ready').status, cond(s, 'Ready').reason, cond(s, 'Ready').message],
    ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'],
  );
  const withGate = { ...gated, status: { ...gated.status, conditions: [{ type: 'example.com/lb', status: 'True' }] } };
  const t = buildPodStatus({ ...base, pod: withGate, containers: running });
  assert.equal(cond(t, 'Ready').status, 'True');
  assert.equal(cond(t, 'example.com/lb').status, 'True', 'the gate condition itself is kept');
});

test('a hostNetwork pod reports the node IP as its pod IP (its sandbox has no address)', () => {
  const hostSandbox: PodSandboxStatus = { ...sandbox, network: undefined };
  const s = buildPodStatus({ ...base, sandbox: hostSandbox, pod: pod({ hostNetwork: true }), containers: [view('c', ctr('c', 'CONTAINER_RUNNING'))] });
  assert.equal(s.podIP, '127.0.0.1');
  assert.deepEqual(s.podIPs, [{ ip: '127.0.0.1' }]);
  const other = buildPodStatus({ ...base, sandbox: hostSandbox, pod: pod(), containers: [view('c', ctr('c', 'CONTAINER_RUNNING'))] });
  assert.equal(other.podIP, undefined, 'a pod-network pod without an address has none');
});
