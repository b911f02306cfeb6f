// The node agent's stats: /proc parsing for the node's figures, CRI stats matched to the
// pods bound to the node (by container ID, running containers only) with usageNanoCores
// derived from consecutive readings, and the agent's paths for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, RuntimeContainerStats } from '../../src/kubelet/runtime/types.js';
import { parseAgentPath } from '../../src/kubelet/server/agent-server.js';
import { CriStats } from '../../src/kubelet/stats/cri-stats.js';
import { parseMeminfo, parseProcStatCpu } from '../../src/kubelet/stats/host-usage.js';

test('/proc/stat and /proc/meminfo give the node CPU time and working set', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice, in 1/100 s
  assert.equal(parseProcStatCpu('cpu  100 10 50 9000 40 5 5 2 0 0\ncpu0 1 2 3 4\n'), 172 * 1e7);
  assert.equal(parseProcStatCpu('intr 1 2'), undefined);
  const m = parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nInactive(file):  300 kB\n');
  assert.deepEqual(m, { usageBytes: 800 * 1024, workingSetBytes: 500 * 1024, availableBytes: 600 * 1024 });
  assert.equal(parseMeminfo('nothing'), undefined);
});

test('CRI stats are matched to running containers of the node pods; the rate comes from two readings', async () => {
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: {
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'x' },
      ],
    },
    status: {
      phase: 'Running',
      startTime: '2026-01-01T00:00:00Z',
      containerStatuses: [
        {
          name: 'a',
          containerID: 'containerd://c-a',
          ready: true,
          restartCount: 0,
          image: 'x',
          imageID: '',
          state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
        },
        {
          name: 'b',
          containerID: 'containerd://c-b',
          ready: false,
          restartCount: 1,
          image: 'x',
          imageID: '',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  };
  let reading: RuntimeContainerStats[] = [];
  const stat = (id: string, cpuNs: number, atNs: bigint, ws: number): RuntimeContainerStats => ({
    id,
    name: id.slice(2),
    labels: {},
    cpu: { timestamp: atNs, usageCoreNanoSeconds: cpuNs },
    memory: { timestamp: atNs, workingSetBytes: ws, usageBytes: ws * 2 },
  });
  const runtime = {
    runsProcesses: true,
    listContainerStats: async () => reading,
    listPodSandboxStats: async () => [
      {
        id: 'sb',
        metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 },
        network: {
          timestamp: 5n * 10n ** 18n,
          defaultInterface: { name: 'eth0', rxBytes: 100, txBytes: 50 },
          interfaces: [{ name: 'eth0', rxBytes: 100, txBytes: 50 }],
        },
      },
    ],
  } as unknown as ContainerRuntime;
  const stats = new CriStats({ nodeName: 'n', runtime, pods: () => [pod] });
  const t0 = 1_767_225_600_000_000_000n;
  reading = [stat('c-a', 1e9, t0, 4096), stat('c-b', 5e9, t0, 1)];
  const first = await stats.summary();
  assert.equal(first.pods.length, 1);
  const [a] = first.pods[0]!.containers;
  assert.equal(first.pods[0]!.containers.length, 1, 'b is not running: left out');
  assert.equal(a!.name, 'a');
  assert.equal(a!.cpu?.usageNanoCores, undefined, 'no rate from one reading');
  assert.equal(a!.memory?.workingSetBytes, 4096);
  assert.equal(first.pods[0]!.network?.rxBytes, 100);
  assert.equal(first.pods[0]!.network?.name, 'eth0');
  reading = [stat('c-a', 1.5e9, t0 + 2_000_000_000n, 8192)];
  const second = await stats.summary();
  assert.equal(second.pods[0]!.containers[0]!.cpu?.usageNanoCores, 250_000_000);
  assert.equal(second.pods[0]!.cpu?.usageCoreNanoSeconds, 1.5e9);
  assert.equal(second.pods[0]!.memory?.workingSetBytes, 8192);
  assert.ok((second.node.cpu?.usageCoreNanoSeconds ?? 0) > 0, 'the node reads /proc/stat');
});

test('the agent answers /stats/summary and /metrics/resource, nothing beside them', () => {
  assert.deepEqual(parseAgentPath('/stats/summary'), { kind: 'statsSummary' });
  assert.deepEqual(parseAgentPath('/metrics/resource'), { kind: 'resourceMetrics' });
  assert.equal(parseAgentPath('/stats/other'), undefined);
  assert.equal(parseAgentPath('/metrics/resource/x'), undefined);
});
