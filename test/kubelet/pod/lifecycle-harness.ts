// Test support for the pod worker's lifecycle tests: the simulated runtime dressed up as
// one that runs processes (runsProcesses = true) — sandboxes on 127.0.0.1 so that httpGet
// and tcpSocket probes reach real loopback servers the test starts, exec answered by a
// script the test gives, pulls failing on demand, stops recorded with their timeouts —
// and a worker wired to an API recorder that feeds written statuses back, as the informer
// would. A double for the pod worker's unit tests only.
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../../src/util/log.js';
import { PodWorker, type PodApi, type PodWorkerDeps } from '../../../src/kubelet/pod/worker.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import type { ContainerConfig, ContainerRuntime, ContainerStatus, ExecSyncResult, PodSandboxConfig, PullAuth } from '../../../src/kubelet/runtime/types.js';

export const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };

export interface Script {
  /** Answers an exec in the named container; the default succeeds. */
  exec?(container: string, cmd: string[]): ExecSyncResult | Promise<ExecSyncResult>;
  /** Images whose pull fails, with the error message. */
  failPulls?: Map<string, string>;
  /** CRI log files by container name, reported as the containers' logPath. */
  logPaths?: Map<string, string>;
  /** The runtime's clock (container start and finish times). */
  clock?: () => number;
}

export interface Stop {
  container: string;
  timeoutSeconds: number;
  at: number;
}

export interface ScriptedRuntime {
  runtime: ContainerRuntime;
  sim: SimulatedRuntime;
  stops: Stop[];
  execs: { container: string; cmd: string[]; at: number }[];
  pulls: { image: string; auth?: PullAuth }[];
  creates: ContainerConfig[];
  /** Makes a running container exit (exit code 0), as if its process ended. */
  exit(container: string): Promise<void>;
}

export const ok = (stdout = ''): ExecSyncResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode: 0 });
export const fail = (stdout = '', exitCode = 1): ExecSyncResult => ({ stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exitCode });

export async function scriptedRuntime(script: Script): Promise<ScriptedRuntime> {
  const sim = new SimulatedRuntime({ hostIP: '127.0.0.1', clock: script.clock });
  await sim.updateRuntimeConfig({ podCidr: '10.42.7.0/24' });
  const stops: Stop[] = [];
  const execs: ScriptedRuntime['execs'] = [];
  const pulls: ScriptedRuntime['pulls'] = [];
  const creates: ContainerConfig[] = [];
  const withLog = (s: ContainerStatus): ContainerStatus => {
    const logPath = script.logPaths?.get(s.metadata.name);
    return logPath ? { ...s, logPath } : s;
  };
  const nameOf = async (id: string) => (await sim.containerStatus(id)).metadata.name;
  const overrides: Partial<Record<keyof ContainerRuntime, unknown>> = {
    runsProcesses: true,
    async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig) {
      creates.push(config);
      return sim.createContainer(sandboxId, config, sandboxConfig);
    },
    async containerStatus(id: string) {
      return withLog(await sim.containerStatus(id));
    },
    async listContainers(filter?: Parameters<ContainerRuntime['listContainers']>[0]) {
      return (await sim.listContainers(filter)).map(withLog);
    },
    async podSandboxStatus(id: string) {
      const s = await sim.podSandboxStatus(id);
      return { ...s, network: { ip: '127.0.0.1' } };
    },
    async execSync(id: string, cmd: string[], _timeout: number) {
      const container = await nameOf(id);
      execs.push({ container, cmd, at: Date.now() });
      return script.exec ? script.exec(container, cmd) : ok();
    },
    async stopContainer(id: string, timeoutSeconds: number) {
      stops.push({ container: await nameOf(id), timeoutSeconds, at: Date.now() });
      return sim.stopContainer(id, timeoutSeconds);
    },
    async pullImage(image: string, auth?: PullAuth) {
      pulls.push({ image, ...(auth ? { auth } : {}) });
      const err = script.failPulls?.get(image);
      if (err) throw new Error(err);
      return sim.pullImage(image);
    },
  };
  const runtime = new Proxy(sim, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof ContainerRuntime];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as ContainerRuntime;
  return {
    runtime,
    sim,
    stops,
    execs,
    pulls,
    creates,
    async exit(container) {
      const c = (await sim.listContainers({ state: 'CONTAINER_RUNNING' })).find((s) => s.metadata.name === container);
      if (!c) throw new Error(`no running container ${container}`);
      await sim.stopContainer(c.id, 0);
    },
  };
}

export interface Event {
  type: string;
  reason: string;
  message: string;
}

export interface Harness {
  worker: PodWorker;
  rt: ScriptedRuntime;
  statuses: PodStatus[];
  events: Event[];
  deleted: Pod[];
  current(): Pod;
  until(pred: (s: PodStatus) => boolean, ms?: number): Promise<PodStatus>;
  waitFor<T>(what: string, get: () => T | undefined | false, ms?: number): Promise<T>;
  /** Marks the pod deleted with this grace period, as the apiserver does. */
  delete(graceSeconds: number): void;
  /** A write to the pod (e.g. through pods/ephemeralcontainers): the worker sees the new pod. */
  change(f: (p: Pod) => Pod): void;
  close(): Promise<void>;
}

export function makePod(name: string, containers: Container[], spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { nodeName: 'n1', containers, ...spec } as Pod['spec'],
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

export async function harness(pod: Pod, script: Script = {}, deps: Partial<PodWorkerDeps> = {}): Promise<Harness> {
  const rt = await scriptedRuntime(script);
  const statuses: PodStatus[] = [];
  const events: Event[] = [];
  const deleted: Pod[] = [];
  let current = pod;
  const api: PodApi = {
    async writeStatus(_p, status) {
      statuses.push(status);
      current = { ...current, status };
      setImmediate(() => worker.update(current));
    },
    async deletePod(p) {
      deleted.push(p);
      setImmediate(() => worker.update(undefined));
    },
  };
  let sandboxId: string | undefined;
  const worker: PodWorker = new PodWorker(`default/${pod.metadata!.name}`, pod, {
    runtime: rt.runtime,
    api,
    hostIP: '127.0.0.1',
    runtimeName: 'containerd',
    log: quiet,
    onFinished: () => {},
    onSandbox: (_w, id) => (sandboxId = id),
    event: (_p, type, reason, message) => events.push({ type, reason, message }),
    ...deps,
  });
  const unsubscribe = rt.sim.getContainerEvents((ev) => {
    if (ev.podSandboxId === sandboxId) worker.kick();
  });
  worker.update(pod);
  const waitFor = async <T>(what: string, get: () => T | undefined | false, ms = 5000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = get();
      if (v !== undefined && v !== false) return v as T;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(current.status)}; events: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    worker,
    rt,
    statuses,
    events,
    deleted,
    current: () => current,
    until: (pred, ms) => waitFor('status', () => (statuses.length && pred(current.status!) ? current.status! : undefined), ms),
    waitFor,
    change(f) {
      current = f(current);
      worker.update(current);
    },
    delete(graceSeconds) {
      current = { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: graceSeconds } };
      worker.update(current);
    },
    async close() {
      worker.stop();
      unsubscribe();
      await rt.sim.close();
    },
  };
}

export const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type)?.status;
