import type { ResourceDef } from '../types.js';
import { computeQOSClass, defaultPod } from './pod-defaults.js';
import { podTable } from './pod-table.js';
import { validatePod, validatePodCreate, validatePodStatusUpdate, validatePodUpdate } from './pod-validation.js';
import { validatePodEphemeralContainersUpdate } from './pod-ephemeral-validation.js';
import { asArray } from './validate-helpers.js';

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  subresources: { status: true, binding: true, ephemeralContainers: true },
  defaults: defaultPod,
  prepareForCreate(pod) {
    const spec = pod.spec ?? {};
    // Negative grace periods were once accepted; Kubernetes now stores them as 1.
    if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
    pod.status = { phase: 'Pending', qosClass: computeQOSClass(pod) };
    if (asArray(spec.schedulingGates).length)
      pod.status.conditions = [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'SchedulingGated',
          message: 'Scheduling is blocked due to non-empty scheduling gates',
          lastProbeTime: null,
          lastTransitionTime: null,
        },
      ];
  },
  returnDeletedObject: true,
  // Kubernetes' pod deletion: a pod no node has taken, or one already finished, goes at once;
  // a running pod gets its grace period and the node agent completes the deletion.
  gracePeriod(pod, requested) {
    if (!pod.spec?.nodeName) return 0;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  },
  validate: validatePod,
  validateCreate: validatePodCreate,
  validateEphemeralContainersUpdate: validatePodEphemeralContainersUpdate,
  validateUpdate: validatePodUpdate,
  validateStatusUpdate: validatePodStatusUpdate,
  table: podTable,
  fieldSelectors: {
    'spec.nodeName': (p) => p.spec?.nodeName ?? '',
    'spec.restartPolicy': (p) => p.spec?.restartPolicy ?? '',
    'spec.schedulerName': (p) => p.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (p) => String(p.spec?.hostNetwork === true),
    'status.phase': (p) => p.status?.phase ?? '',
    'status.podIP': (p) => asArray(p.status?.podIPs)[0]?.ip ?? p.status?.podIP ?? '',
    'status.nominatedNodeName': (p) => p.status?.nominatedNodeName ?? '',
  },
};
