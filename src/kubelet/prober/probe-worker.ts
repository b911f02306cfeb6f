// One probe of one container, run on its own timer as the kubelet's probe workers: first
// after initialDelaySeconds, then every periodSeconds; a result only counts once it has
// repeated successThreshold (or failureThreshold) times in a row. Liveness and readiness
// wait until the startup probe (if any) has passed; the startup probe stops once it has.
import type { Probe } from 'kubernetes-types/core/v1.js';
import { runHandler, type HandlerTarget } from './handler.js';
import type { ProbeResult } from './probe-result.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  target: HandlerTarget;
  /** When the container started, ms since the epoch. */
  startedAt: number;
  /** False while this probe must hold (liveness/readiness before the startup probe passed). */
  mayRun(): boolean;
  /** The settled result changed. */
  onResult(kind: ProbeKind, result: 'Success' | 'Failure'): void;
  /** A probe run that did not succeed (Unhealthy / ProbeWarning events). */
  onProblem(kind: ProbeKind, result: ProbeResult, output: string): void;
  now?: () => number;
}

const KIND_TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };
export const probeTitle = (k: ProbeKind) => KIND_TITLE[k];

export class ProbeWorker {
  /** The settled result; readiness starts as Failure, liveness as Success, startup as unknown. */
  result: 'Success' | 'Failure' | undefined;
  private last: ProbeResult | undefined;
  private run = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: ProbeWorkerOptions) {
    this.now = o.now ?? Date.now;
    this.result = o.kind === 'readiness' ? 'Failure' : o.kind === 'liveness' ? 'Success' : undefined;
  }

  start(): void {
    const delayMs = Math.max(0, (this.o.probe.initialDelaySeconds ?? 0) * 1000 - (this.now() - this.o.startedAt));
    this.schedule(delayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const period = Math.max(1, this.o.probe.periodSeconds ?? 10) * 1000;
    const began = this.now();
    try {
      await this.probeOnce();
    } finally {
      this.schedule(Math.max(0, period - (this.now() - began)));
    }
  }

  private async probeOnce(): Promise<void> {
    if (this.stopped || !this.o.mayRun()) return;
    const { kind, probe } = this.o;
    // A passed startup probe is done for the life of the container.
    if (kind === 'startup' && this.result === 'Success') return;
    const out = await runHandler(probe, this.o.target, probe.timeoutSeconds ?? 1);
    if (this.stopped) return;
    if (out.result !== 'Success') this.o.onProblem(kind, out.result, out.output);
    // Errors of the check itself (Unknown) leave everything as it was.
    if (out.result === 'Unknown') return;
    const r = out.result === 'Failure' ? 'Failure' : 'Success';
    if (this.last === r) this.run++;
    else {
      this.last = r;
      this.run = 1;
    }
    const need = r === 'Failure' ? (probe.failureThreshold ?? 3) : kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
    if (this.run < need) return;
    if (this.result !== r) {
      this.result = r;
      this.o.onResult(kind, r);
    }
    // A container that failed liveness or startup is about to be killed: nothing more to probe.
    if (r === 'Failure' && kind !== 'readiness') this.stop();
  }
}
