// DefaultPreemption (PostFilter): when no node fits, find nodes where evicting pods of
// lower priority would make room, keep as few and as unimportant victims as possible,
// delete them gracefully and nominate the node for the pod, which then waits for the
// room to appear (the victims' deletion moves it back to the active queue).
import type { Client } from '../../client/client.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { KObject } from '../../api/types.js';
import type { SchedulerCache } from '../cache.js';
import { FitError, type Framework } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { Code, type CycleState, Status, type Plugin } from '../types.js';
import { formatTime } from '../../util/time.js';

const NO_VICTIMS = 'No preemption victims found for incoming pod';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

interface Candidate {
  node: NodeInfo;
  victims: PodInfo[];
}

export interface PreemptionHandle {
  cache: SchedulerCache;
  framework(): Framework;
  client: Client;
  recorder: EventRecorder;
  /** The pre-filter state of the failed cycle is rebuilt per node from this. */
  newState(pod: PodInfo): CycleState;
}

/** More important first: higher priority, then the one that started earlier. */
const moreImportant = (a: PodInfo, b: PodInfo) => b.priority - a.priority || a.startTime - b.startTime;

export function defaultPreemption(h: PreemptionHandle): Plugin {
  function selectVictims(state: CycleState, pod: PodInfo, node: NodeInfo): { victims?: PodInfo[]; status?: Status } {
    const fw = h.framework();
    const copy = node.clone();
    const st = state.clone();
    const potential: PodInfo[] = [];
    for (const p of [...copy.pods.values()]) {
      if (p.priority >= pod.priority) continue;
      potential.push(p);
      copy.removePod(p);
      for (const pl of fw.points.preFilter) if (!st.skipFilter.has(pl.name)) pl.removePod?.(st, pod, p, copy);
    }
    if (!potential.length) return { status: Status.unresolvable(NO_VICTIMS) };
    const s = fw.runFiltersWithNominated(st, pod, copy);
    if (s) return { status: s };
    potential.sort(moreImportant);
    const victims: PodInfo[] = [];
    // Give back as many as still leave room, most important first.
    for (const p of potential) {
      copy.addPod(p);
      for (const pl of fw.points.preFilter) if (!st.skipFilter.has(pl.name)) pl.addPod?.(st, pod, p, copy);
      if (fw.runFiltersWithNominated(st, pod, copy)) {
        copy.removePod(p);
        for (const pl of fw.points.preFilter) if (!st.skipFilter.has(pl.name)) pl.removePod?.(st, pod, p, copy);
        victims.push(p);
      }
    }
    return victims.length ? { victims } : { status: Status.error(`expected at least one victim pod on node "${node.name}"`) };
  }

  /** pickOneNodeForPreemption, without PDBs: lowest top victim priority, then lowest sum, then fewest victims. */
  function pick(cands: Candidate[]): Candidate {
    const key = (c: Candidate) => [Math.max(...c.victims.map((v) => v.priority)), c.victims.reduce((a, v) => a + v.priority + 2 ** 31, 0), c.victims.length];
    return cands.reduce((best, c) => {
      const a = key(c);
      const b = key(best);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? c : best;
      return best;
    });
  }

  async function evict(pod: PodInfo, c: Candidate): Promise<void> {
    await Promise.all(
      c.victims.map(async (v) => {
        try {
          await h.client.pods.patch(
            v.name,
            {
              status: {
                conditions: [
                  {
                    type: 'DisruptionTarget',
                    status: 'True',
                    reason: 'PreemptionByScheduler',
                    message: `${h.framework().schedulerName}: preempting to accommodate a higher priority pod`,
                    lastTransitionTime: formatTime(),
                  },
                ],
              },
            },
            'strategic',
            { namespace: v.namespace, subresource: 'status' },
          );
        } catch {
          /* the deletion below is what matters */
        }
        try {
          await h.client.pods.delete(v.name, { namespace: v.namespace, preconditions: v.uid ? { uid: v.uid } : undefined });
        } catch (e) {
          if ((e as { code?: number }).code !== 404) throw e;
        }
        h.recorder.event(v.pod as KObject, 'Normal', 'Preempted', `Preempted by pod ${pod.uid} on node ${c.node.name}`);
      }),
    );
  }

  return {
    name: 'DefaultPreemption',
    async postFilter(state, pod, statuses) {
      if ((pod.pod.spec?.preemptionPolicy ?? 'PreemptLowerPriority') === 'Never')
        return { status: Status.unschedulable('not eligible due to preemptionPolicy=Never.') };
      const nominated = pod.pod.status?.nominatedNodeName;
      if (nominated) {
        const n = h.cache.getNode(nominated);
        // Victims already on their way out: wait for them rather than preempt more.
        if (n && [...n.pods.values()].some((p) => p.pod.metadata?.deletionTimestamp && p.priority < pod.priority))
          return { status: Status.unschedulable('not eligible due to a terminating pod on the nominated node.') };
      }
      const all = h.cache.nodeList();
      const nodeStatuses = new Map<string, Status>();
      const cands: Candidate[] = [];
      for (const n of all) {
        const s = statuses.get(n.name);
        if (!s || s.code === Code.UnschedulableAndUnresolvable) {
          nodeStatuses.set(n.name, Status.unresolvable(NOT_HELPFUL));
          continue;
        }
        const r = selectVictims(state, pod, n);
        if (r.victims) cands.push({ node: n, victims: r.victims });
        else nodeStatuses.set(n.name, r.status!);
      }
      if (!cands.length) {
        const fe = new FitError(pod, all.length, nodeStatuses);
        return { status: Status.unschedulable(`preemption: ${fe.describe()}`), nominatedNodeName: '' };
      }
      const best = pick(cands);
      await evict(pod, best);
      return { status: new Status(Code.Success), nominatedNodeName: best.node.name };
    },
  };
}
