// The pod status the node agent reports, computed from what the runtime says about the
// pod's sandbox and containers — the kubelet's generateAPIPodStatus and getPhase. Pure
// functions: the same runtime state always gives the same status, and conditions keep
// their lastTransitionTime while their status does not change.
import type { ContainerState as ApiContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { computeQOSClass } from '../../api/core/pod-defaults.js';
import type { KObject } from '../../api/types.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/types.js';
import { formatTime } from '../../util/time.js';

/** What the worker knows about one container of the pod spec. */
export interface ContainerView {
  name: string;
  image: string;
  /** The newest attempt, if any was created. */
  current?: ContainerStatus;
  /** The attempt before it, when it exited. */
  previous?: ContainerStatus;
  restartCount: number;
  /** Set while a restart waits for its back-off: when it ends, in ms since the epoch. */
  backoffUntil?: number;
  backoffSeconds?: number;
  /** Why the next attempt could not be created (ErrImagePull, CreateContainerConfigError…). */
  waitingReason?: string;
  waitingMessage?: string;
  /** From the probes, when the runtime runs them; a running container counts as both without. */
  started?: boolean;
  ready?: boolean;
}

/** Regular init containers run to completion; sidecars (restartPolicy Always) keep running. */
export type ContainerKind = 'init' | 'sidecar' | 'main' | 'ephemeral';

export interface StatusInput {
  pod: Pod;
  sandbox?: PodSandboxStatus;
  init: ContainerView[];
  containers: ContainerView[];
  /** Ephemeral (debug) containers: reported, never part of the phase or readiness. */
  ephemeral?: ContainerView[];
  /** Init containers all finished successfully. */
  initDone: boolean;
  /** An init container failed and will not be restarted. */
  initFailed: boolean;
  hostIP: string;
  runtimeName: string;
  now: number;
}

const nsToIso = (ns: bigint) => formatTime(Number(ns / 1_000_000n));

function terminatedState(c: ContainerStatus, runtimeName: string): ApiContainerState {
  return {
    terminated: {
      exitCode: c.exitCode,
      // The runtime's reason (OOMKilled, ContainerCannotRun…) when it gives one.
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: nsToIso(c.startedAt || c.createdAt),
      finishedAt: nsToIso(c.finishedAt),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatus(v: ContainerView, input: StatusInput, waitingReason: string, kind: ContainerKind): ApiContainerStatus {
  const { pod, runtimeName } = input;
  const cur = v.current;
  const base = { name: v.name, image: v.image, imageID: '', restartCount: v.restartCount, ready: false, started: false };
  let state: ApiContainerState;
  let lastState: ApiContainerState = {};
  if (v.previous?.state === 'CONTAINER_EXITED') lastState = terminatedState(v.previous, runtimeName);
  if (!cur || cur.state === 'CONTAINER_CREATED') {
    state = { waiting: v.waitingReason ? { reason: v.waitingReason, ...(v.waitingMessage ? { message: v.waitingMessage } : {}) } : { reason: waitingReason } };
  } else if (cur.state === 'CONTAINER_RUNNING') {
    state = { running: { startedAt: nsToIso(cur.startedAt) } };
    base.started = v.started ?? true;
    // A regular init container is ready only once it has completed.
    base.ready = kind !== 'init' && kind !== 'ephemeral' && base.started && (v.ready ?? true);
  } else if (v.waitingReason && v.backoffUntil === undefined) {
    state = { waiting: { reason: v.waitingReason, ...(v.waitingMessage ? { message: v.waitingMessage } : {}) } };
    lastState = terminatedState(cur, runtimeName);
  } else if (v.backoffUntil !== undefined) {
    state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${v.backoffSeconds}s restarting failed container=${v.name} pod=${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`,
      },
    };
    lastState = terminatedState(cur, runtimeName);
  } else {
    state = terminatedState(cur, runtimeName);
    if (kind === 'init' && cur.exitCode === 0) base.ready = true;
  }
  return {
    ...base,
    state,
    lastState,
    ...(cur ? { imageID: imageIdOf(cur), containerID: `${runtimeName}://${cur.id}` } : {}),
  };
}

function imageIdOf(c: ContainerStatus): string {
  const name = c.image.image.replace(/[:@].*$/, '');
  return c.imageRef.startsWith('sha256:') ? `${name}@${c.imageRef}` : c.imageRef;
}

/** Kubelet's getPhase. */
export function podPhase(
  input: Pick<StatusInput, 'pod' | 'initDone' | 'initFailed'>,
  statuses: ApiContainerStatus[],
  sidecars: ApiContainerStatus[] = [],
): PodStatus['phase'] {
  if (input.initFailed) return 'Failed';
  if (!input.initDone) return 'Pending';
  let running = 0,
    waiting = 0,
    stopped = 0,
    succeeded = 0;
  // Running sidecars keep a pod Running; exited ones count neither way (they are stopped last).
  for (const s of sidecars) if (s.state?.running) running++;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  const policy = input.pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return policy === 'Never' ? 'Failed' : 'Running';
}

function condition(type: string, ok: boolean, old: PodCondition[] | undefined, now: number, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : formatTime(now);
  return { type, status, lastProbeTime: null as unknown as string, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/**
 * Ready also needs every readiness gate's condition (set by other components) to be True,
 * as the kubelet's GeneratePodReadyCondition has it.
 */
function readyCondition(pod: Pod, containersReady: boolean, old: PodCondition[] | undefined, now: number, reason?: string, message?: string): PodCondition {
  if (!containersReady) return condition('Ready', false, old, now, reason, message);
  const problems: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = old?.find((x) => x.type === g.conditionType);
    if (!c) problems.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') problems.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  if (problems.length) return condition('Ready', false, old, now, 'ReadinessGatesNotReady', problems.join(', '));
  return condition('Ready', true, old, now);
}

export function buildPodStatus(input: StatusInput): PodStatus {
  const { pod, sandbox, now } = input;
  const old = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const sidecarAt = (i: number) => initSpecs[i]?.restartPolicy === 'Always';
  const initStatuses = input.init.map((v, i) => containerStatus(v, input, 'PodInitializing', sidecarAt(i) ? 'sidecar' : 'init'));
  const statuses = input.containers.map((v) => containerStatus(v, input, input.initDone && sandbox ? 'ContainerCreating' : 'PodInitializing', 'main'));
  if (!sandbox)
    for (const s of [...initStatuses, ...statuses])
      if (s.state?.waiting?.reason === 'PodInitializing' && !input.init.length) s.state.waiting.reason = 'ContainerCreating';
  const sidecarStatuses = initStatuses.filter((_s, i) => sidecarAt(i));
  const phase = podPhase(input, statuses, sidecarStatuses);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const oldConds = old.conditions;

  // Sidecars are part of the pod's readiness, as the kubelet counts them.
  const notReady = [...sidecarStatuses, ...statuses].filter((s) => !s.ready).map((s) => s.name);
  const incompleteInit = initStatuses.filter((s, i) => (sidecarAt(i) ? !s.started : !s.ready)).map((s) => s.name);
  const readyReason = terminal ? 'PodCompleted' : notReady.length ? 'ContainersNotReady' : undefined;
  const readyMsg = !terminal && notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const allReady = !terminal && notReady.length === 0 && input.initDone;
  const initOk = input.initDone || (terminal && !input.initFailed);
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', !!sandbox && sandbox.state === 'SANDBOX_READY' && !terminal, oldConds, now),
    condition(
      'Initialized',
      initOk,
      oldConds,
      now,
      initOk ? (input.init.length && terminal ? 'PodCompleted' : undefined) : 'ContainersNotInitialized',
      initOk ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`,
    ),
    readyCondition(pod, allReady, oldConds, now, readyReason, readyMsg),
    condition('ContainersReady', allReady, oldConds, now, readyReason, readyMsg),
    oldConds?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, oldConds, now),
  ];
  // Conditions other components own (DisruptionTarget, readiness gates) stay as they are.
  for (const c of oldConds ?? []) if (!conditions.some((k) => k.type === c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: old.startTime ?? formatTime(now),
    containerStatuses: statuses,
    qosClass: old.qosClass ?? computeQOSClass(pod as KObject),
  };
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  const ephemeral = (input.ephemeral ?? []).map((v) => containerStatus(v, input, 'ContainerCreating', 'ephemeral'));
  if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral;
  // A host-network sandbox has no address of its own: the kubelet reports the node's.
  const ip = sandbox?.network?.ip || (sandbox && pod.spec?.hostNetwork ? input.hostIP : undefined) || old.podIP;
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  if (old.nominatedNodeName) status.nominatedNodeName = old.nominatedNodeName;
  return status;
}

/** The parts of a status this agent writes, compared as JSON. */
export function statusChanged(desired: PodStatus, current: PodStatus | undefined): boolean {
  if (!current) return true;
  const keys: (keyof PodStatus)[] = [
    'phase',
    'conditions',
    'hostIP',
    'podIP',
    'startTime',
    'containerStatuses',
    'initContainerStatuses',
    'ephemeralContainerStatuses',
    'qosClass',
  ];
  for (const k of keys) if (canonical(desired[k]) !== canonical(current[k])) return true;
  return false;
}

/** JSON with sorted keys, nulls and empty objects dropped: equal for equal meaning, however stored. */
function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, val) => {
      if (val && typeof val === 'object' && !Array.isArray(val)) {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(val).sort()) if (val[key] !== null && val[key] !== undefined) out[key] = val[key];
        return out;
      }
      return val;
    }) ?? ''
  );
}
