// An in-process apiserver (memory store) with a running scheduler, and object builders.
import { builtinRegistry } from '../../src/api/builtin.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { Client } from '../../src/client/client.js';
import type { Logger } from '../../src/util/log.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import type { SchedulerConfig } from '../../src/scheduler/config.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';

export const quietLog: Logger = { info() {}, warn() {}, error() {}, child: () => quietLog };

export interface Harness {
  api: ApiServer;
  client: Client;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export async function startHarness(opts: { config?: SchedulerConfig; scheduledEvents?: boolean } = {}): Promise<Harness> {
  const api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
  const client = new Client(api.transport());
  const scheduler = new Scheduler({ client, log: quietLog, config: opts.config, scheduledEvents: opts.scheduledEvents });
  const running = scheduler.run();
  return {
    api,
    client,
    scheduler,
    async stop() {
      scheduler.stop();
      await running.catch(() => {});
      await api.stop();
    },
  };
}

export function node(
  name: string,
  o: {
    cpu?: string;
    memory?: string;
    pods?: string;
    labels?: Record<string, string>;
    taints?: Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never;
    unschedulable?: boolean;
  } = {},
): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '32Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function pod(name: string, spec: Partial<Pod['spec']> & { cpu?: string; memory?: string } = {}, labels: Record<string, string> = {}): Pod {
  const { cpu, memory, ...rest } = spec;
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'busybox', ...(cpu || memory ? { resources: { requests } } : {}) }], ...rest } as Pod['spec'],
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function nodeOf(client: Client, name: string): Promise<string | undefined> {
  return (await client.pods.get(name, 'default')).spec?.nodeName;
}

export const waitBound = (client: Client, name: string, timeoutMs?: number) => waitFor(() => nodeOf(client, name), `${name} to be bound`, timeoutMs);
