// NodeName: a pod that names its node fits only there.
import { Status, type Plugin } from '../types.js';

const REASON = "node(s) didn't match the requested node name";

export function nodeName(): Plugin {
  return {
    name: 'NodeName',
    events: ['NodeAdd'],
    filter(_s, pod, node) {
      const want = pod.pod.spec?.nodeName;
      return want && want !== node.name ? Status.unresolvable(REASON) : undefined;
    },
  };
}
