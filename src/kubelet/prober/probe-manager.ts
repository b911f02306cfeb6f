// The probes of one pod: a worker per (running container, probe kind), started when the
// container starts and stopped when it is gone, and the answers the pod worker asks for —
// is the container started, ready, or to be killed for failing liveness/startup.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../runtime/types.js';
import { ProbeWorker, probeTitle, type ProbeKind } from './probe-worker.js';
import type { ProbeResult } from './probe-result.js';

export interface RunningContainer {
  container: Container;
  id: string;
  startedAt: number;
}

export interface ProbeManagerOptions {
  runtime: Pick<RuntimeService, 'execSync'>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** A settled result changed: the pod's status (or its containers) must be looked at again. */
  onChange(): void;
  now?: () => number;
}

interface Entry {
  id: string;
  workers: Map<ProbeKind, ProbeWorker>;
}

export class ProbeManager {
  /** By container name: the probes of its current attempt. */
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: ProbeManagerOptions) {}

  /** Makes the workers match the running containers; others' workers stop. */
  sync(pod: Pod, podIP: string, running: RunningContainer[]): void {
    const keep = new Set<string>();
    for (const r of running) {
      keep.add(r.container.name);
      const e = this.entries.get(r.container.name);
      if (e?.id === r.id) continue;
      if (e) this.stopEntry(e);
      this.entries.set(r.container.name, this.startEntry(pod, podIP, r));
    }
    for (const [name, e] of this.entries) {
      if (keep.has(name)) continue;
      this.stopEntry(e);
      this.entries.delete(name);
    }
  }

  private startEntry(_pod: Pod, podIP: string, r: RunningContainer): Entry {
    const e: Entry = { id: r.id, workers: new Map() };
    const c = r.container;
    const probes: [ProbeKind, Container['livenessProbe']][] = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe) continue;
      const w = new ProbeWorker({
        kind,
        probe,
        startedAt: r.startedAt,
        now: this.o.now,
        target: { runtime: this.o.runtime, containerId: r.id, container: c, podIP },
        mayRun: () => kind === 'startup' || this.isStarted(e),
        onResult: () => this.o.onChange(),
        onProblem: (k, result, output) => this.problem(k, result, output),
      });
      e.workers.set(kind, w);
    }
    for (const w of e.workers.values()) w.start();
    return e;
  }

  private problem(kind: ProbeKind, result: ProbeResult, output: string): void {
    const title = probeTitle(kind);
    if (result === 'Warning') this.o.event('Warning', 'ProbeWarning', `${title} probe warning: ${output}`);
    else if (result === 'Unknown') this.o.event('Warning', 'Unhealthy', `${title} probe errored: ${output}`);
    else this.o.event('Warning', 'Unhealthy', `${title} probe failed: ${output}`);
  }

  private isStarted(e: Entry): boolean {
    const s = e.workers.get('startup');
    return !s || s.result === 'Success';
  }

  private entryFor(name: string, id: string): Entry | undefined {
    const e = this.entries.get(name);
    return e?.id === id ? e : undefined;
  }

  /** Whether the container has started: false until its startup probe passes. */
  started(name: string, id: string): boolean {
    const e = this.entryFor(name, id);
    return e ? this.isStarted(e) : false;
  }

  /** Ready: started, and its readiness probe (if any) settled on Success. */
  ready(name: string, id: string): boolean {
    const e = this.entryFor(name, id);
    if (!e || !this.isStarted(e)) return false;
    const r = e.workers.get('readiness');
    return !r || r.result === 'Success';
  }

  /** The probe whose failure means the container must be killed and restarted, if any. */
  failed(name: string, id: string): 'liveness' | 'startup' | undefined {
    const e = this.entryFor(name, id);
    if (!e) return undefined;
    if (e.workers.get('startup')?.result === 'Failure') return 'startup';
    if (e.workers.get('liveness')?.result === 'Failure') return 'liveness';
    return undefined;
  }

  stopAll(): void {
    for (const e of this.entries.values()) this.stopEntry(e);
    this.entries.clear();
  }

  private stopEntry(e: Entry): void {
    for (const w of e.workers.values()) w.stop();
  }
}
