// What probes mean for one pod's containers, as the kubelet's prober results feed its pod
// worker: which containers have started and are ready, and which failed liveness or
// startup and must be killed (to be restarted per the restart policy). The probe workers
// themselves live in prober/; this keeps them matched to what runs.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { graceSeconds } from '../container/stop.js';
import type { PodContainers } from './containers.js';
import type { ContainerView } from './status.js';
import type { SyncLoop } from './sync-loop.js';
import { ProbeManager, type RunningContainer } from '../prober/probe-manager.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/types.js';
import type { SandboxOps } from './sandbox-ops.js';
import { isSidecar } from '../container/sidecar.js';

export interface PodHealthDeps {
  /** The sandbox whose containers are probed (and killed when they fail). */
  sandbox: SandboxOps;
  containers: PodContainers;
  /** A probe result changed: the pod's status must be looked at again. */
  loop: Pick<SyncLoop, 'kick'>;
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const nsToMs = (ns: bigint) => Number(ns / 1_000_000n);

export class PodHealth {
  private probes?: ProbeManager;
  /** The pod as of the latest sync (probe events name it). */
  private pod?: Pod;

  constructor(private readonly deps: PodHealthDeps) {}

  stopAll(): void {
    this.probes?.stopAll();
  }

  /** Started: running, and past its startup probe (when the runtime runs probes). */
  started(c: Container, cur: ContainerStatus | undefined): boolean {
    if (cur?.state !== 'CONTAINER_RUNNING') return false;
    if (!this.deps.sandbox.runtime.runsProcesses || !c.startupProbe) return true;
    return this.probes?.started(c.name, cur.id) ?? false;
  }

  /** Kills containers whose liveness or startup probe failed; they restart per the restart policy. */
  async killUnhealthy(pod: Pod, byId: Map<string, ContainerStatus>): Promise<void> {
    const probes = this.probes;
    if (!probes) return;
    const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const policy = pod.spec?.restartPolicy ?? 'Always';
    await Promise.all(
      specs.map(async (c) => {
        const cur = byId.get(this.deps.containers.currentId(c.name) ?? '');
        if (cur?.state !== 'CONTAINER_RUNNING') return;
        const failed = probes.failed(c.name, cur.id);
        if (!failed) return;
        const restart = policy !== 'Never' || isSidecar(c);
        const probe = failed === 'liveness' ? c.livenessProbe : c.startupProbe;
        const grace = probe?.terminationGracePeriodSeconds ?? graceSeconds(pod);
        if (restart) this.deps.containers.markForRestart(cur.id);
        await this.deps.sandbox.kill(pod, c, cur.id, grace, `Container ${c.name} failed ${failed} probe${restart ? ', will be restarted' : ''}`);
        byId.set(cur.id, await this.deps.sandbox.runtime.containerStatus(cur.id));
      }),
    );
  }

  /** Probe workers matched to the running containers; their readiness and startup on the views. */
  sync(pod: Pod, specs: Container[], views: ContainerView[], sandbox: PodSandboxStatus | undefined): void {
    this.pod = pod;
    const running: RunningContainer[] = [];
    for (let i = 0; i < specs.length; i++) {
      const cur = views[i]!.current;
      if (cur?.state === 'CONTAINER_RUNNING') running.push({ container: specs[i]!, id: cur.id, startedAt: nsToMs(cur.startedAt) });
    }
    const probes = this.manager(pod);
    probes.sync(pod, sandbox?.network?.ip ?? '', running);
    for (let i = 0; i < specs.length; i++) {
      const cur = views[i]!.current;
      if (cur?.state !== 'CONTAINER_RUNNING') continue;
      views[i]!.started = probes.started(specs[i]!.name, cur.id);
      views[i]!.ready = probes.ready(specs[i]!.name, cur.id);
    }
  }

  private manager(pod: Pod): ProbeManager {
    this.probes ??= new ProbeManager({
      runtime: this.deps.sandbox.runtime,
      now: () => this.deps.sandbox.now(),
      event: (type, reason, message) => this.deps.event?.(this.pod ?? pod, type, reason, message),
      onChange: () => this.deps.loop.kick(),
    });
    return this.probes;
  }
}
