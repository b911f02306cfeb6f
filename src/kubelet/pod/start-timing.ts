// How long each pod took to start on this node, phase by phase, as the node agent saw it:
// the moments a pod passed each mark (seen, volumes ready, sandbox requested/ready, image
// checked, container created/started, Running written, Running seen on the watch) are kept
// per pod until it is seen Running, then recorded once in the kubelet's histograms
// (kubelet_pod_start_duration_seconds, kubelet_pod_start_sli_duration_seconds) and in
// skiff_kubelet_pod_start_phase_seconds{phase}, whose phases are the spans between marks,
// and told in one log line. The registry is the node agent's (served on /metrics).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Histogram, Registry } from 'prom-client';
import type { Logger } from '../../util/log.js';

/** The marks in the order a pod passes them. */
export const START_MARKS = [
  'seen',
  'volumesReady',
  'sandboxRequested',
  'sandboxReady',
  'imageChecked',
  'containerCreated',
  'containerStarted',
  'statusWriteStarted',
  'statusWritten',
  'runningSeen',
] as const;
export type StartMark = (typeof START_MARKS)[number];

/**
 * Each span between two consecutive marks, named for what happens in it. `image` also holds
 * the rest of the sync before the first container: the new sandbox's status (its IP) and
 * the container list; `status_wait` the sync's work after the start, before the write.
 */
export const START_PHASES: { name: string; from: StartMark; to: StartMark }[] = [
  { name: 'volumes', from: 'seen', to: 'volumesReady' },
  { name: 'sandbox_wait', from: 'volumesReady', to: 'sandboxRequested' },
  { name: 'sandbox', from: 'sandboxRequested', to: 'sandboxReady' },
  { name: 'image', from: 'sandboxReady', to: 'imageChecked' },
  { name: 'container_create', from: 'imageChecked', to: 'containerCreated' },
  { name: 'container_start', from: 'containerCreated', to: 'containerStarted' },
  { name: 'status_wait', from: 'containerStarted', to: 'statusWriteStarted' },
  { name: 'status_write', from: 'statusWriteStarted', to: 'statusWritten' },
  { name: 'watch', from: 'statusWritten', to: 'runningSeen' },
];

// The kubelet's buckets for its pod start histograms (seconds).
const KUBELET_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
const PHASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One pod's start: its marks (ms since the epoch) and how long image pulls took. */
export interface PodStartRecord {
  pod: string;
  uid: string;
  createdMs?: number;
  marks: Partial<Record<StartMark, number>>;
  pullMs: number;
}

export class PodStartTiming {
  readonly registry: Registry;
  private readonly startDuration: Histogram;
  private readonly sliDuration: Histogram;
  private readonly phase: Histogram<'phase'>;
  private readonly open = new Map<string, PodStartRecord>();
  /** Pods whose start is recorded: later marks (restarts, new sandboxes) are not starts. */
  private readonly done = new Set<string>();

  constructor(
    private readonly log?: Logger,
    registry?: Registry,
    private readonly now: () => number = Date.now,
  ) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.startDuration = new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from the node agent seeing a pod for the first time to the pod starting to run',
      buckets: KUBELET_BUCKETS,
      registers,
    });
    this.sliDuration = new Histogram({
      name: 'kubelet_pod_start_sli_duration_seconds',
      help: 'Duration in seconds to start a pod, excluding time to pull images, observed from the pod creation timestamp to Running seen on the watch',
      buckets: KUBELET_BUCKETS,
      registers,
    });
    this.phase = new Histogram({
      name: 'skiff_kubelet_pod_start_phase_seconds',
      help: 'Duration in seconds of each phase of a pod start on this node (the span between two consecutive marks)',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
  }

  /** The pod passed a mark; only the first time counts, and nothing after its start was recorded. */
  mark(pod: Pod, mark: StartMark, at = this.now()): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.done.has(uid)) return;
    let rec = this.open.get(uid);
    if (!rec) {
      // A pod the agent meets Running already (adopted after a restart) did not start here.
      if (mark !== 'seen') return;
      const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
      rec = { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid, marks: {}, pullMs: 0, ...(Number.isNaN(created) ? {} : { createdMs: created }) };
      this.open.set(uid, rec);
    }
    if (rec.marks[mark] === undefined) rec.marks[mark] = at;
    // The watch may show the Running status before its write has returned: both must be in.
    if (rec.marks.runningSeen !== undefined && rec.marks.statusWritten !== undefined) this.finish(rec);
  }

  /** Time spent pulling an image for the pod (left out of the SLI figure, as the kubelet does). */
  pulled(pod: Pod, ms: number): void {
    const rec = this.open.get(pod.metadata?.uid ?? '');
    if (rec) rec.pullMs += ms;
  }

  /** The pod is gone: whatever it reached is dropped. */
  forget(uid: string): void {
    this.open.delete(uid);
    this.done.delete(uid);
  }

  /** Pods seen but not yet Running. */
  get pending(): number {
    return this.open.size;
  }

  private finish(rec: PodStartRecord): void {
    this.open.delete(rec.uid);
    this.done.add(rec.uid);
    const m = rec.marks;
    if (m.seen !== undefined && m.statusWritten !== undefined) this.startDuration.observe((m.statusWritten - m.seen) / 1000);
    if (rec.createdMs !== undefined && m.runningSeen !== undefined) {
      this.sliDuration.observe(Math.max(0, m.runningSeen - rec.createdMs - rec.pullMs) / 1000);
    }
    const phases: Record<string, number> = {};
    for (const p of START_PHASES) {
      const a = m[p.from];
      const b = m[p.to];
      if (a === undefined || b === undefined) continue;
      phases[p.name] = b - a;
      this.phase.observe({ phase: p.name }, Math.max(0, b - a) / 1000);
    }
    this.log?.info('pod started', { pod: rec.pod, uid: rec.uid, marks: m, phasesMs: phases, pullMs: rec.pullMs });
  }
}
