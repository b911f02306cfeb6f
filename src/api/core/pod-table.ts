// The pods table as Kubernetes' printPod builds it, including kubectl's STATUS logic.
import type { KObject, TableColumn, TableDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { asArray } from './validate-helpers.js';

/** Reason the pod's node is unreachable, as the node lifecycle controller writes it. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

const isRestartableInit = (c: any) => c?.restartPolicy === 'Always';
const later = (a: string, b: string | undefined) => (b && (!a || Date.parse(b) > Date.parse(a)) ? b : a);

export interface PodSummary {
  ready: string;
  status: string;
  restarts: number;
  /** finishedAt of the most recent restart that counts, '' when none. */
  lastRestart: string;
}

/** READY, STATUS and RESTARTS of a pod, exactly as `kubectl get pods` computes them. */
export function podSummary(pod: KObject): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableRestarts = 0;
  let total = asArray(spec.containers).length;
  let ready = 0;
  let lastRestart = '';
  let lastRestartableRestart = '';
  let reason: string = status.reason || status.phase || '';
  for (const c of asArray(status.conditions)) if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = new Map<string, any>();
  for (const c of asArray(spec.initContainers)) {
    initSpecs.set(c?.name, c);
    if (isRestartableInit(c)) total++;
  }

  let initializing = false;
  const initStatuses = asArray(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c?.restartCount ?? 0;
    const finished = c?.lastState?.terminated?.finishedAt;
    lastRestart = later(lastRestart, finished);
    const restartable = isRestartableInit(initSpecs.get(c?.name));
    if (restartable) {
      restartableRestarts += c?.restartCount ?? 0;
      lastRestartableRestart = later(lastRestartableRestart, finished);
    }
    const term = c?.state?.terminated;
    const wait = c?.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (restartable && c?.started === true) {
      if (c?.ready) ready++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
      else reason = `Init:${term.reason}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${asArray(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = asArray(status.conditions).some((c: any) => c?.type === 'Initialized' && c?.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = asArray(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c?.restartCount ?? 0;
      lastRestart = later(lastRestart, c?.lastState?.terminated?.finishedAt);
      const wait = c?.state?.waiting;
      const term = c?.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (c?.ready && c?.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = asArray(status.conditions).some((c: any) => c?.type === 'Ready' && c?.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }
  return { ready: `${ready}/${total}`, status: reason, restarts, lastRestart };
}

/** RESTARTS cell: "3", or "3 (2m ago)" when the last restart's time is known. */
export function restartsCell(s: PodSummary, now: number): string {
  return s.restarts !== 0 && s.lastRestart ? `${s.restarts} (${age(s.lastRestart, now)} ago)` : String(s.restarts);
}

function readinessGatesCell(pod: KObject): string {
  const gates = asArray(pod.spec?.readinessGates);
  if (!gates.length) return '<none>';
  const conds = asArray(pod.status?.conditions);
  let trueCount = 0;
  for (const g of gates) {
    const c = conds.find((x: any) => x?.type === g?.conditionType);
    if (c?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

const col = (name: string, description: string, priority = 0): TableColumn => ({ name, type: 'string', description, priority });

export const podColumns: TableColumn[] = [
  NAME_COLUMN,
  col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'The aggregate status of the containers in this pod.'),
  col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  AGE_COLUMN,
  col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
  col('Node', 'NodeName indicates in which node this pod is scheduled.', 1),
  col(
    'Nominated Node',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    1,
  ),
  col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
];

export const podTable: TableDef = {
  columns: podColumns,
  row(pod, now) {
    const s = podSummary(pod);
    const ip = asArray(pod.status?.podIPs)[0]?.ip || pod.status?.podIP || '<none>';
    return [
      pod.metadata?.name,
      s.ready,
      s.status,
      restartsCell(s, now),
      age(pod.metadata?.creationTimestamp, now),
      ip,
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGatesCell(pod),
    ];
  },
};
