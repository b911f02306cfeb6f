// The kubelet's node-level series (kubelet_running_pods, kubelet_running_containers,
// kubelet_node_name), read from the container runtime at scrape time, as the kubelet reads
// them from its runtime cache; they live in the node agent's own registry beside the pod
// start histograms.
import { Gauge, type Registry } from 'prom-client';
import type { ContainerRuntime, ContainerState } from './runtime/types.js';

const STATE_LABELS: Record<ContainerState, string> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function registerNodeMetrics(registry: Registry, nodeName: string, runtime: ContainerRuntime): void {
  const registers = [registry];
  const nodeGauge = new Gauge({ name: 'kubelet_node_name', help: "The node's name. The count is always 1.", labelNames: ['node'], registers });
  nodeGauge.set({ node: nodeName }, 1);
  new Gauge({
    name: 'kubelet_running_pods',
    help: 'Number of pods that have a running pod sandbox',
    registers,
    async collect() {
      try {
        this.set((await runtime.listPodSandbox({ state: 'SANDBOX_READY' })).length);
      } catch {
        // A runtime that does not answer leaves the last figure; the scrape still succeeds.
      }
    },
  });
  new Gauge({
    name: 'kubelet_running_containers',
    help: 'Number of containers currently running',
    labelNames: ['container_state'],
    registers,
    async collect() {
      try {
        const counts = new Map<string, number>(Object.values(STATE_LABELS).map((s) => [s, 0]));
        for (const c of await runtime.listContainers()) {
          const s = STATE_LABELS[c.state] ?? 'unknown';
          counts.set(s, counts.get(s)! + 1);
        }
        for (const [container_state, n] of counts) this.set({ container_state }, n);
      } catch {
        // As above.
      }
    },
  });
}
