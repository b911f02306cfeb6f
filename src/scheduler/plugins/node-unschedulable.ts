// NodeUnschedulable: cordoned nodes take only pods that tolerate the unschedulable taint.
import { Status, type Plugin } from '../types.js';
import { tolerates } from './taint-toleration.js';

const REASON = 'node(s) were unschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): Plugin {
  return {
    name: 'NodeUnschedulable',
    events: ['NodeAdd', 'NodeUpdate'],
    filter(_s, pod, node) {
      if (!node.node?.spec?.unschedulable) return undefined;
      return pod.tolerations.some((t) => tolerates(t, TAINT)) ? undefined : Status.unresolvable(REASON);
    },
  };
}
