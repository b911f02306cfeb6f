// In-process harness for the workload controllers' tests: a real apiserver over a memory
// store, a client on the in-process transport, controllers on a shared informer factory,
// and a stand-in kubelet (the test plays it: binds pods, writes their status).
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../../src/api/builtin.js';
import { Client } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import type { Logger } from '../../src/util/log.js';
import type { Controller, ControllerContext } from '../../src/controllers/lib/context.js';
import { ClientEventRecorder } from '../../src/client/event-recorder.js';
import { TestApi } from '../apiserver/setup.js';

export const quietLog: Logger = { info() {}, warn() {}, error() {}, child: () => quietLog };

export interface Harness {
  api: TestApi;
  client: Client;
  ctx: ControllerContext;
  clock: { now: number; real: boolean };
  start(...make: ((ctx: ControllerContext) => Controller)[]): Promise<Controller[]>;
  stop(): void;
}

export async function harness(): Promise<Harness> {
  const api = await TestApi.start('memory');
  const client = new Client(api.api.transport());
  const informers = new SharedInformerFactory(client);
  const clock = { now: Date.now(), real: true };
  const now = () => (clock.real ? Date.now() : clock.now);
  const registry = builtinRegistry();
  const ctx: ControllerContext = {
    client,
    informers,
    registry,
    log: quietLog,
    now,
    recorder: (c) => new ClientEventRecorder(client, c, quietLog, '', now),
    namespacedResources: () => [],
  };
  const running: Controller[] = [];
  return {
    api,
    client,
    ctx,
    clock,
    async start(...make) {
      const cs = make.map((m) => m(ctx));
      informers.start();
      await informers.waitForSync();
      for (const c of cs) {
        running.push(c);
        void c.run();
      }
      return cs;
    },
    stop() {
      for (const c of running) c.stop();
      informers.stop();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ts = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The kubelet's part: bind the pod to `node` (if unbound) and mark it Running and Ready. */
export async function runPod(client: Client, pod: Pod, node = 'node-1', ready = true): Promise<void> {
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  if (!pod.spec?.nodeName) await client.bindPod(ns, name, node);
  const cur = await client.pods.get(name, ns);
  const containers = (cur.spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready,
    restartCount: 0,
    started: true,
    state: { running: { startedAt: ts() } },
  }));
  await client.pods.updateStatus(
    {
      ...cur,
      status: {
        ...cur.status,
        phase: 'Running',
        startTime: ts(),
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: ts() },
          { type: 'ContainersReady', status: ready ? 'True' : 'False' },
        ],
        containerStatuses: containers,
      },
    },
    { namespace: ns },
  );
}

/** The kubelet's part: the pod's containers exit with `code` (0 → Succeeded, else Failed). */
export async function finishPod(client: Client, pod: Pod, code: number, node = 'node-1'): Promise<void> {
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  if (!pod.spec?.nodeName) await client.bindPod(ns, name, node);
  const cur = await client.pods.get(name, ns);
  const containers = (cur.spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    state: { terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', startedAt: ts(), finishedAt: ts() } },
  }));
  await client.pods.updateStatus(
    {
      ...cur,
      status: {
        ...cur.status,
        phase: code ? 'Failed' : 'Succeeded',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ts() }],
        containerStatuses: containers,
      },
    },
    { namespace: ns },
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function simplePodSpec(restartPolicy = 'Never'): any {
  return { restartPolicy, containers: [{ name: 'main', image: 'busybox' }] };
}
