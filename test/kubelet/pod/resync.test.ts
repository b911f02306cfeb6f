// The periodic pod resync (--sync-frequency): when it is due (jittered as the kubelet's pod
// workers), that every running pod's worker comes back, that terminating and finished pods
// do not, and that a resync is what corrects a last state the runtime only later gets right
// (containerd reporting the exit before the OOM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { PodWorker, type PodApi } from '../../../src/kubelet/pod/worker.js';
import { jittered, PodResyncQueue, RESYNC_JITTER_FACTOR, type ResyncClock } from '../../../src/kubelet/pod/resync.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import type { ContainerFilter, ContainerStatus } from '../../../src/kubelet/runtime/types.js';
import type { Logger } from '../../../src/util/log.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const PERIOD = 60_000;

/** Timers that run only when the test moves the clock on. */
class FakeClock implements ResyncClock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  randoms: number[] = [];
  now = () => this.t;
  random = () => this.randoms.shift() ?? 0.5;
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(id: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Moves the clock to `t + ms`, running each timer at its time, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}

test('jitter: a resync is due between one and one and a half periods after the sync, as wait.Jitter(period, 0.5)', () => {
  assert.equal(RESYNC_JITTER_FACTOR, 0.5);
  assert.equal(jittered(PERIOD, 0), PERIOD);
  assert.equal(jittered(PERIOD, 0.5), 1.25 * PERIOD);
  assert.ok(jittered(PERIOD, 0.999999) < 1.5 * PERIOD);
  const clock = new FakeClock();
  clock.random = Math.random;
  const q = new PodResyncQueue({ periodMs: PERIOD, resync() {}, clock });
  const dues: number[] = [];
  for (let i = 0; i < 500; i++) {
    q.synced(`pod-${i}`);
    dues.push(q.dueAt(`pod-${i}`)! - clock.t);
  }
  assert.ok(Math.min(...dues) >= PERIOD, `earliest ${Math.min(...dues)}`);
  assert.ok(Math.max(...dues) < 1.5 * PERIOD, `latest ${Math.max(...dues)}`);
  // Spread over the window, not all at one instant: 500 pods would otherwise sync in one burst.
  assert.ok(Math.max(...dues) - Math.min(...dues) > 0.4 * PERIOD);
  q.stop();
});

test('every queued pod is resynced once when due, none early; each sync queues it again, and one timer serves all', () => {
  const clock = new FakeClock();
  const resynced: string[] = [];
  const q = new PodResyncQueue({ periodMs: PERIOD, resync: (k) => resynced.push(k), clock });
  const keys = Array.from({ length: 20 }, (_, i) => `uid-${i}`);
  clock.randoms = keys.map((_, i) => i / keys.length);
  for (const k of keys) q.synced(k);
  assert.equal(clock.pending, 1, 'one timer for all pods');
  clock.advance(PERIOD - 1001);
  assert.deepEqual(resynced, [], 'nothing before the period');
  clock.advance(1.5 * PERIOD);
  assert.deepEqual([...resynced].sort(), [...keys].sort(), 'every pod once');
  assert.equal(q.size, 0);
  // The workers' syncs put them back; the next round comes a period later again.
  resynced.length = 0;
  for (const k of keys) q.synced(k);
  clock.advance(PERIOD - 1001);
  assert.deepEqual(resynced, []);
  clock.advance(PERIOD);
  assert.equal(resynced.length, keys.length);
  // Off: nothing is ever queued.
  const off = new PodResyncQueue({ periodMs: 0, resync: () => assert.fail('resync with period 0'), clock });
  off.synced('x');
  assert.equal(off.size, 0);
  clock.advance(10 * PERIOD);
  q.stop();
  assert.equal(clock.pending, 0, 'stop leaves no timer');
});

/** A simulated runtime whose verdict on an exited container the test sets: containerd's reason changing after the fact. */
class LateOomRuntime extends SimulatedRuntime {
  readonly verdicts = new Map<string, { exitCode: number; reason: string }>();
  statusReads = 0;
  private patch(s: ContainerStatus): ContainerStatus {
    const v = this.verdicts.get(s.id);
    return v && s.state === 'CONTAINER_EXITED' ? { ...s, ...v } : s;
  }
  override async containerStatus(id: string): Promise<ContainerStatus> {
    this.statusReads++;
    return this.patch(await super.containerStatus(id));
  }
  override async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    this.statusReads++;
    return (await super.listContainers(filter)).map((s) => this.patch(s));
  }
}

function makePod(name: string, restartPolicy = 'Always'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { nodeName: 'n1', restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } as Pod['spec'],
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** A worker wired as the agent wires it: runtime events kick it, its syncs feed the resync queue. */
async function harness(pod: Pod) {
  const runtime = new LateOomRuntime({ hostIP: '198.18.0.1' });
  await runtime.updateRuntimeConfig({ podCidr: '10.42.9.0/24' });
  const clock = new FakeClock();
  const writes: PodStatus[] = [];
  const synced: boolean[] = [];
  let current = pod;
  let sandboxId: string | undefined;
  const queue = new PodResyncQueue({ periodMs: PERIOD, resync: () => worker.kick(), clock });
  const api: PodApi = {
    async writeStatus(_p, status) {
      writes.push(status);
      current = { ...current, status };
      setImmediate(() => worker.update(current));
    },
    async deletePod() {
      setImmediate(() => worker.update(undefined));
    },
  };
  const worker: PodWorker = new PodWorker(`default/${pod.metadata!.name}`, pod, {
    runtime,
    api,
    hostIP: '198.18.0.1',
    runtimeName: 'containerd',
    log: quiet,
    onFinished: () => queue.forget(pod.metadata!.uid!),
    onSandbox: (_w, id) => (sandboxId = id),
    onSynced: (_w, running) => {
      synced.push(running);
      if (running) queue.synced(pod.metadata!.uid!);
      else queue.forget(pod.metadata!.uid!);
    },
  });
  const unsubscribe = runtime.getContainerEvents((ev) => {
    if (ev.podSandboxId === sandboxId) worker.kick();
  });
  worker.update(pod);
  const until = async <T>(what: string, get: () => T | undefined, ms = 5000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = get();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`${what} never happened; last status: ${JSON.stringify(current.status)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    runtime,
    clock,
    queue,
    writes,
    synced,
    worker,
    current: () => current,
    until,
    /** Lets the worker finish what it was kicked for (and the echo of its write come back). */
    async quiet() {
      await new Promise((r) => setTimeout(r, 50));
      await worker.settled();
    },
    async close() {
      queue.stop();
      worker.stop();
      unsubscribe();
      await runtime.close();
    },
  };
}

const lastReason = (s: PodStatus | undefined) => s?.containerStatuses?.[0]?.lastState?.terminated?.reason;

test('a resync turns a last state read as Error into OOMKilled once the runtime says so, and writes nothing when nothing changed', async () => {
  const h = await harness(makePod('oom'));
  try {
    const first = await h.until('Running', () => (h.current().status?.phase === 'Running' ? h.current().status : undefined));
    const firstId = first.containerStatuses![0]!.containerID!.replace(/^containerd:\/\//, '');
    assert.ok(h.queue.dueAt('uid-oom')! >= h.clock.t + PERIOD, 'a running pod is queued for its resync');
    // The container dies of an OOM; the runtime's first answer is the exit without the OOM.
    h.runtime.verdicts.set(firstId, { exitCode: 137, reason: 'Error' });
    await h.runtime.stopContainer(firstId, 0);
    const restarted = await h.until('restart', () => {
      const cs = h.current().status?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.state?.running ? h.current().status : undefined;
    });
    const last = restarted.containerStatuses![0]!.lastState!.terminated!;
    assert.equal(last.reason, 'Error');
    assert.equal(last.exitCode, 137);
    assert.equal(last.containerID, `containerd://${firstId}`);
    await h.quiet();

    // The OOM event comes in: no container changes state, so no event reaches the worker.
    h.runtime.verdicts.set(firstId, { exitCode: 137, reason: 'OOMKilled' });
    const writes = h.writes.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lastReason(h.current().status), 'Error', 'without a resync the stale reason stays');
    assert.equal(h.writes.length, writes);

    h.clock.advance(1.5 * PERIOD);
    await h.until('OOMKilled in lastState', () => lastReason(h.current().status) === 'OOMKilled');
    const fixed = h.current().status!.containerStatuses![0]!;
    // The same instance's record, corrected: not a new restart, not another container's.
    assert.equal(fixed.lastState!.terminated!.containerID, `containerd://${firstId}`);
    assert.equal(fixed.restartCount, 1);
    assert.ok(fixed.state?.running);
    assert.equal(h.writes.length, writes + 1, 'one write for the correction');
    await h.quiet();

    // Nothing changes any more: resyncs read the runtime and write nothing.
    const quietWrites = h.writes.length;
    for (let i = 0; i < 3; i++) {
      const reads = h.runtime.statusReads;
      h.clock.advance(1.5 * PERIOD);
      await h.until('runtime read by the resync', () => h.runtime.statusReads > reads);
      await h.quiet();
    }
    assert.equal(h.writes.length, quietWrites, 'an idle resync writes no status');
    assert.equal(lastReason(h.current().status), 'OOMKilled');
  } finally {
    await h.close();
  }
});

test('a terminating or finished pod is not resynced', async () => {
  const done = await harness(makePod('job', 'Never'));
  try {
    await done.until('Running', () => done.current().status?.phase === 'Running');
    assert.ok(done.queue.dueAt('uid-job') !== undefined);
    const id = done.current().status!.containerStatuses![0]!.containerID!.replace(/^containerd:\/\//, '');
    await done.runtime.stopContainer(id, 0);
    await done.until('Succeeded', () => done.current().status?.phase === 'Succeeded');
    await done.quiet();
    assert.equal(done.queue.dueAt('uid-job'), undefined, 'a finished pod leaves the queue');
    assert.equal(done.synced.at(-1), false);
    const reads = done.runtime.statusReads;
    done.clock.advance(10 * PERIOD);
    await done.quiet();
    assert.equal(done.runtime.statusReads, reads, 'no sync of a finished pod');
  } finally {
    await done.close();
  }

  const h = await harness(makePod('web'));
  try {
    await h.until('Running', () => h.current().status?.phase === 'Running');
    assert.ok(h.queue.dueAt('uid-web') !== undefined);
    // Deleted with a grace period: terminating until its containers are down, then terminated.
    const deleting: Pod = {
      ...h.current(),
      metadata: { ...h.current().metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 },
    };
    h.worker.update(deleting);
    await h.until('torn down', () => h.synced.length > 0 && h.synced.at(-1) === false);
    await h.quiet();
    assert.equal(h.queue.dueAt('uid-web'), undefined, 'a terminating or terminated pod leaves the queue');
    const reads = h.runtime.statusReads;
    h.clock.advance(10 * PERIOD);
    await h.quiet();
    assert.equal(h.runtime.statusReads, reads, 'no resync after termination');
  } finally {
    await h.close();
  }
});
