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
  componentstatuses, configmaps, endpoints, events, limitranges, namespaces, nodes, persistentvolumeclaims, persistentvolumes, pods,
  podtemplates, replicationcontrollers, resourcequotas, secrets, serviceaccounts, services,
};
// Reusable pieces for other API groups (apps, batch, …).
export { computeQOSClass, defaultContainer, defaultPod, defaultPodSpec, defaultPodTemplate, imageTag } from './pod-defaults.js';
export { POD_UPDATE_FORBIDDEN, validatePod, validatePodSpec, validatePodTemplate, validatePodUpdate, validateTolerations } from './pod-validation.js';
export { validateContainer, validateResources } from './container-validation.js';
export { podSummary, podTable, restartsCell } from './pod-table.js';
export { containerCells } from './podtemplate.js';
export { defaultService, serviceExternalIP, servicePorts } from './service.js';
export { validateTaints, nodeRoles, nodeStatusCell } from './node.js';
export { base64Error } from './secret.js';
export { NAMESPACE_NAME_LABEL } from './namespace.js';
export { validatePVCSpec } from './persistentvolumeclaim.js';
