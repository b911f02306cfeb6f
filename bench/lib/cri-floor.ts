// The container runtime's own floor for a pod start: Skiff's CRI client drives the node's
// containerd directly — RunPodSandbox (pause and the node's CNI chain), CreateContainer,
// StartContainer — for `total` pods at `rate` per second, with no apiserver, scheduler or
// pod worker in between. The same sandbox and container config as the node agent builds
// (minus volumes), so what is left over in Skiff's figure is Skiff's.
import { randomUUID } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { baseContainerConfig } from '../../src/kubelet/container/base-config.js';
import { buildSandboxConfig } from '../../src/kubelet/pod/sandbox-config.js';
import type { CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FloorResult {
  /** Request → StartContainer returned, per pod that started (ms). */
  latencies: number[];
  /** The three calls' own times (ms), per pod. */
  sandbox: number[];
  create: number[];
  start: number[];
  errors: string[];
}

function floorPod(i: number, run: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `floor-${i}`, namespace: `skiff-floor-${run}`, uid: randomUUID(), labels: { bench: 'pod-startup-floor' } },
    spec: {
      dnsPolicy: 'Default',
      containers: [{ name: 'c', image: 'skiff.local/busybox:1.35', command: ['sleep', '3600'] }],
    },
  };
}

export async function runCriFloor(cri: CriRuntime, o: { total: number; rate: number; podLogsDir: string; resolvConf: string }): Promise<FloorResult> {
  const run = Math.random().toString(36).slice(2, 7);
  const res: FloorResult = { latencies: [], sandbox: [], create: [], start: [], errors: [] };
  const t0 = performance.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < o.total; i++) {
    const wait = t0 + (i * 1000) / o.rate - performance.now();
    if (wait > 0) await sleep(wait);
    const pod = floorPod(i, run);
    all.push(
      (async () => {
        const start = performance.now();
        const sbConfig = buildSandboxConfig(pod, { podLogsDir: o.podLogsDir, hostResolvConf: o.resolvConf });
        const sb = await cri.runPodSandbox(sbConfig);
        const t1 = performance.now();
        const id = await cri.createContainer(sb, baseContainerConfig(pod, pod.spec!.containers[0]!, 0), sbConfig);
        const t2 = performance.now();
        await cri.startContainer(id);
        const t3 = performance.now();
        res.sandbox.push(t1 - start);
        res.create.push(t2 - t1);
        res.start.push(t3 - t2);
        res.latencies.push(t3 - start);
      })().catch((err: Error) => {
        res.errors.push(err.message);
      }),
    );
  }
  await Promise.all(all);
  return res;
}

/** Stops and removes the floor's sandboxes (CNI DEL gives their IPs back), a few at a time. */
export async function removeFloorSandboxes(cri: CriRuntime): Promise<void> {
  const ids = (await cri.listPodSandbox()).filter((s) => s.labels?.bench === 'pod-startup-floor').map((s) => s.id);
  const next = async () => {
    for (let id = ids.pop(); id; id = ids.pop()) {
      await cri.stopPodSandbox(id).catch(() => {});
      await cri.removePodSandbox(id).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: 8 }, next));
}
