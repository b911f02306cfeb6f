// The built-in API: every group Skiff serves, and the versions that share storage.
import { apiextensionsResources } from './apiextensions/index.js';
import { appsResources } from './apps/index.js';
import { authenticationResources } from './authentication/index.js';
import { autoscalingResources, hpaV1ToV2, hpaV2ToV1 } from './autoscaling/index.js';
import { authorizationResources } from './authorization/index.js';
import { batchResources } from './batch/index.js';
import { certificatesResources } from './certificates/index.js';
import { coordinationResources } from './coordination/index.js';
import { coreResources } from './core/index.js';
import { flowcontrolResources } from './flowcontrol/index.js';
import { discoveryResources } from './discovery/index.js';
import { coreEventToEventsV1, eventsResources, eventsV1ToCoreEvent } from './events/index.js';
import { networkingResources } from './networking/index.js';
import { policyResources } from './policy/index.js';
import { rbacResources } from './rbac/index.js';
import { ResourceRegistry } from './registry.js';
import { schedulingResources } from './scheduling/index.js';
import { storageResources } from './storage/index.js';

export function builtinRegistry(): ResourceRegistry {
  const r = new ResourceRegistry();
  for (const def of [
    ...coreResources,
    ...appsResources,
    ...batchResources,
    ...certificatesResources,
    ...coordinationResources,
    ...discoveryResources,
    ...networkingResources,
    ...policyResources,
    ...rbacResources,
    ...storageResources,
    ...schedulingResources,
    ...apiextensionsResources,
    ...authenticationResources,
    ...authorizationResources,
    ...flowcontrolResources,
  ])
    r.add(def);
  // events.k8s.io/v1 Events are core/v1 Events seen through another shape, as in Kubernetes.
  for (const def of eventsResources) r.add(def, { prefix: '/registry/events/', toStorage: eventsV1ToCoreEvent, fromStorage: coreEventToEventsV1 });
  // HorizontalPodAutoscalers are stored as autoscaling/v2; v1 is served by conversion.
  for (const def of autoscalingResources) {
    if (def.version === 'v2') r.add(def);
    else r.add(def, { prefix: '/registry/horizontalpodautoscalers/', toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 });
  }
  r.prefer('autoscaling', 'v2');
  return r;
}
