// The NodeRestriction admission plugin: a node identity writes only its own Node and Lease,
// the status of pods bound to it, and mirror pods of its own; it deletes only its pods. On its
// Node it may not touch its taints nor the labels that steer workloads (see node-labels.ts).
import type { KObject } from '../../../api/types.js';
import type { AdmissionHook } from '../../rest/resource-store.js';
import { errors } from '../../status.js';
import type { WatchCache } from '../../watch-cache.js';
import { podReferences } from './graph.js';
import { nodeNameOf } from './node-authorizer.js';
import { forbiddenNodeLabels } from './node-labels.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** No taints and an empty list are the same (Kubernetes compares them semantically). */
const sameJson = (a: unknown[] | undefined, b: unknown[] | undefined): boolean => JSON.stringify(a?.length ? a : []) === JSON.stringify(b?.length ? b : []);

export function nodeRestriction(_cache: WatchCache): AdmissionHook {
  return (op, def, obj, old, requester) => {
    if (!requester) return;
    const node = nodeNameOf(requester.user);
    if (!node) return;
    const name: string = obj.metadata?.name ?? '';
    const deny = (msg: string) => errors.forbidden(def.group, def.plural, name, `node ${JSON.stringify(node)} ${msg}`);
    if (def.group === '' && def.plural === 'pods') {
      const bound = (p: KObject | undefined) => p?.spec?.nodeName === node;
      if (op === 'create') {
        if (!obj.metadata?.annotations?.[MIRROR_ANNOTATION]) throw deny(`can only create mirror pods (with the "${MIRROR_ANNOTATION}" annotation)`);
        if (!bound(obj)) throw deny('can only create pods with spec.nodeName set to itself');
        const refs = podReferences(obj);
        for (const [res, what] of [
          ['secrets/', 'secrets'],
          ['configmaps/', 'configmaps'],
          ['persistentvolumeclaims/', 'persistentvolumeclaims'],
        ] as const)
          if (refs.some((r) => r.startsWith(res))) throw deny(`can not create pods that reference ${what}`);
        return;
      }
      if (op === 'update') {
        if (requester.subresource !== 'status') throw deny('is not allowed to update pods');
        if (!bound(old)) throw deny('can only update pod status for pods with spec.nodeName set to itself');
        return;
      }
      if (!bound(obj)) throw deny('can only delete pods with spec.nodeName set to itself');
      return;
    }
    if (def.group === '' && def.plural === 'nodes') {
      if (op === 'create') {
        const labels = forbiddenNodeLabels(obj.metadata?.labels, undefined);
        if (labels.length) throw deny(`is not allowed to set the following labels: ${labels.join(', ')}`);
      }
      if (name !== node) throw deny(`is not allowed to modify node ${JSON.stringify(name)}`);
      if (op === 'update') {
        if (!sameJson(obj.spec?.taints, old?.spec?.taints)) throw deny('is not allowed to modify taints');
        const labels = forbiddenNodeLabels(obj.metadata?.labels, old?.metadata?.labels);
        // Kubernetes words this one without naming the node.
        if (labels.length) throw errors.forbidden(def.group, def.plural, name, `is not allowed to modify labels: ${labels.join(', ')}`);
      }
      return;
    }
    if (def.group === 'coordination.k8s.io' && def.plural === 'leases' && obj.metadata?.namespace === 'kube-node-lease') {
      if (name !== node) throw errors.forbidden(def.group, def.plural, name, 'can only access node lease with the same name as the requesting node');
    }
  };
}
