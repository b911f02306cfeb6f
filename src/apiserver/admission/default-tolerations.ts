// DefaultTolerationSeconds admission: every new pod tolerates the not-ready and
// unreachable NoExecute taints for 300 s unless it says otherwise, so a brief node outage
// does not evict everything at once, and a long one does.
import type { KObject, ResourceDef } from '../../api/types.js';
import type { AdmissionHook } from '../rest/resource-store.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
const KEYS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

function toleratesNoExecute(tolerations: any[], key: string): boolean {
  return tolerations.some((t) => {
    if (!t || typeof t !== 'object') return false;
    if (t.effect && t.effect !== 'NoExecute') return false;
    if (!t.key) return t.operator === 'Exists';
    return t.key === key;
  });
}

export function defaultTolerationSeconds(seconds = DEFAULT_TOLERATION_SECONDS): AdmissionHook {
  return (op, def: ResourceDef, obj: KObject) => {
    if (op !== 'create' || def.group !== '' || def.plural !== 'pods') return;
    const spec = obj.spec;
    if (!spec || typeof spec !== 'object') return;
    const tolerations: any[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    const added = KEYS.filter((k) => !toleratesNoExecute(tolerations, k)).map((key) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: seconds,
    }));
    if (added.length) spec.tolerations = [...tolerations, ...added];
  };
}
