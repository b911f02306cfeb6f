// Pod events for a controller that owns its pods outright by controllerRef (DaemonSet,
// StatefulSet, Job): every event of such a pod wakes its owner, and the ones that answer an
// expectation are counted, so the owner acts again once its own writes are in the cache.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { getControllerOf } from './controller-ref.js';
import type { ControllerExpectations } from './expectations.js';
import { podKey } from './pod-state.js';

/**
 * Adds handlers to `pods` for the pods controlled by a `kind`: an added pod is an observed
 * creation, a pod deleted or newly marked for deletion an observed deletion, and each of
 * them enqueues its owner's key (namespace/name). Pods of other kinds are ignored.
 */
export function watchOwnedPods(pods: SharedInformer<Pod>, kind: string, expectations: ControllerExpectations, enqueue: (ownerKey: string) => void): void {
  const owner = (p: Pod) => {
    const ref = getControllerOf(p);
    return ref?.kind === kind ? `${p.metadata!.namespace}/${ref.name}` : undefined;
  };
  pods.addEventHandler({
    onAdd: (p) => {
      const k = owner(p);
      if (!k) return;
      expectations.creationObserved(k);
      enqueue(k);
    },
    onUpdate: (o, p) => {
      const k = owner(p);
      if (!k) return;
      if (p.metadata?.deletionTimestamp && !o.metadata?.deletionTimestamp) expectations.deletionObserved(k, podKey(p));
      enqueue(k);
    },
    onDelete: (p) => {
      const k = owner(p);
      if (!k) return;
      expectations.deletionObserved(k, podKey(p));
      enqueue(k);
    },
  });
}
