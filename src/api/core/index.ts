// Every core/v1 resource served by the apiserver.
import type { ResourceDef } from '../types.js';
import { componentstatuses } from './componentstatus.js';
import { configmaps } from './configmap.js';
import { endpoints } from './endpoints.js';
import { events } from './event.js';
import { limitranges } from './limitrange.js';
import { namespaces } from './namespace.js';
import { nodes } from './node.js';
import { persistentvolumeclaims } from './persistentvolumeclaim.js';
import { persistentvolumes } from './persistentvolume.js';
import { pods } from './pod.js';
import { podtemplates } from './podtemplate.js';
import { replicationcontrollers } from './replicationcontroller.js';
import { resourcequotas } from './resourcequota.js';
import { secrets } from './secret.js';
import { serviceaccounts } from './serviceaccount.js';
import { services } from './service.js';

export const coreResources: ResourceDef[] = [
  namespaces,
  pods,
  podtemplates,
  services,
  endpoints,
  nodes,
  configmaps,
  secrets,
  serviceaccounts,
  events,
  persistentvolumes,
  persistentvolumeclaims,
  resourcequotas,
  limitranges,
  replicationcontrollers,
  componentstatuses,
];

export {
  componentstatuses,
  configmaps,
  endpoints,
  events,
  limitranges,
  namespaces,
  nodes,
  persistentvolumeclaims,
  persistentvolumes,
  pods,
  podtemplates,
  replicationcontrollers,
  resourcequotas,
  secrets,
  serviceaccounts,
  services,
};
// Reusable pieces for other API groups (apps, batch, …).
export { defaultPodSpec } from './pod-defaults.js';
export { validatePodSpec } from './pod-validation.js';
