// An in-process apiserver with chosen controllers running, and a stand-in kubelet: it binds
// pending pods to a node and reports them Running and Ready (or not), and finishes graceful
// deletions at once. A test fixture playing the node agent's part, nothing more.
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { resources } from '../../src/client/resources.js';
import { isConflict, isNotFound, type Transport } from '../../src/client/transport.js';
import type { Logger } from '../../src/util/log.js';
import { startControllers, type RunningControllers } from '../../src/controllers/manager.js';
import { TestApi } from '../apiserver/setup.js';

export const quietLog: Logger = {
  info: () => {},
  warn: (m, f) => {
    if (process.env.SKIFF_TEST_LOG) console.warn(m, f);
  },
  error: (m, f) => console.error(m, f),
  child: () => quietLog,
};

export interface FakeKubelet {
  /** Pods whose names match become Ready only when this returns true (default: all). */
  ready: (pod: Pod) => boolean;
  /** Nodes pods are spread over, round-robin. */
  nodes: string[];
  stop(): void;
}

export interface Harness {
  t: TestApi;
  client: Client;
  controllers: RunningControllers;
  kubelet?: FakeKubelet;
  close(): Promise<void>;
}

let ipCounter = 1;

/** Delays every watch event, in order: the lag between a write and the informer seeing it. */
function laggingTransport(inner: Transport, ms: number): Transport {
  return {
    request: (o) => inner.request(o),
    watch: (p, q, h) =>
      inner.watch(p, q, {
        onEvent: (e) => setTimeout(() => h.onEvent(e), ms),
        onClose: (e) => setTimeout(() => h.onClose(e), ms),
      }),
  };
}

export async function startHarness(controllers: string[], opts: { kubelet?: boolean; nodes?: string[]; watchLagMs?: number } = {}): Promise<Harness> {
  const t = await TestApi.start('memory');
  const client = new Client(opts.watchLagMs ? laggingTransport(t.api.transport(), opts.watchLagMs) : t.api.transport());
  const nodes = opts.nodes ?? ['node-1'];
  for (const [i, name] of nodes.entries())
    await client.nodes.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'topology.kubernetes.io/zone': `zone-${i % 2 === 0 ? 'a' : 'b'}` } },
    });
  const running = await startControllers(
    client,
    (t.api as unknown as { opts: { registry: import('../../src/api/registry.js').ResourceRegistry } }).opts.registry,
    quietLog,
    { enabled: controllers },
  );
  const kubelet = opts.kubelet === false ? undefined : startKubelet(client, nodes);
  return {
    t,
    client,
    controllers: running,
    kubelet,
    async close() {
      kubelet?.stop();
      running.stop();
      await new Promise((r) => setTimeout(r, 20));
      await t.close();
    },
  };
}

function startKubelet(client: Client, nodes: string[]): FakeKubelet {
  const factory = new SharedInformerFactory(client);
  const pods = factory.informerFor(resources.pods);
  let next = 0;
  const busy = new Set<string>();
  const k: FakeKubelet = {
    ready: () => true,
    nodes,
    stop: () => {
      stopped = true;
      factory.stop();
      clearInterval(timer);
    },
  };
  let stopped = false;
  const handle = async (pod: Pod) => {
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    if (stopped || busy.has(key)) return;
    busy.add(key);
    try {
      const ns = pod.metadata!.namespace!;
      if (pod.metadata?.deletionTimestamp) {
        await client.pods.delete(pod.metadata.name!, { namespace: ns, gracePeriodSeconds: 0 });
        return;
      }
      if (!pod.spec?.nodeName) {
        await client.bindPod(ns, pod.metadata!.name!, nodes[next++ % nodes.length]!, { uid: pod.metadata!.uid });
        return;
      }
      const wantReady = k.ready(pod);
      const isReady = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (pod.status?.phase === 'Running' && wantReady === isReady) return;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const status = {
        phase: 'Running',
        podIP: pod.status?.podIP ?? `10.42.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`,
        hostIP: '127.0.0.1',
        startTime: pod.status?.startTime ?? now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: wantReady ? 'True' : 'False', lastTransitionTime: now },
          { type: 'Ready', status: wantReady ? 'True' : 'False', lastTransitionTime: now },
        ],
      };
      await client.pods.updateStatus({ ...pod, status } as Pod);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    } finally {
      busy.delete(key);
    }
  };
  const run = (p: Pod) => void handle(p).catch((e) => console.error('fake kubelet', e));
  pods.addEventHandler({ onAdd: run, onUpdate: (_o, p) => run(p) });
  // Conflicts and readiness flips are retried by a slow sweep.
  const timer = setInterval(() => {
    for (const p of pods.store.list()) run(p);
  }, 200);
  factory.start();
  return k;
}

/** Polls `fn` until it returns a truthy value; fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
