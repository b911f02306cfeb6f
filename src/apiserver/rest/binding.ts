// pods/binding: the scheduler's way of placing a pod. Sets spec.nodeName once, and only once.
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';
import type { ApiResult } from '../types.js';
import type { ResourceStorage } from './resource-store.js';
import { formatTime } from '../../util/time.js';

export async function bindPod(rs: ResourceStorage, def: ResourceDef, ns: string, name: string, body: unknown, dryRun: boolean): Promise<ApiResult> {
  const b = body as KObject | undefined;
  const node = b?.target?.name;
  if (!node || (b?.target?.kind && b.target.kind !== 'Node'))
    throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value: a Node name is required' }]);
  if (b?.metadata?.name && b.metadata.name !== name)
    throw errors.badRequest(`the name of the binding (${b.metadata.name}) does not match the name of the pod (${name})`);
  await rs.guaranteedUpdate(
    def,
    ns,
    name,
    (pod) => {
      if (!pod) throw errors.notFound('', 'pods', name);
      if (pod.metadata?.deletionTimestamp) throw errors.conflict('', 'pods/binding', name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (pod.spec?.nodeName) throw errors.conflict('', 'pods/binding', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      if (b?.metadata?.uid && b.metadata.uid !== pod.metadata?.uid) throw errors.conflict('', 'pods', name, 'UID in precondition does not match');
      pod.spec.nodeName = node;
      const conditions = (pod.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: formatTime() });
      pod.status = { ...(pod.status ?? {}), conditions };
      return pod;
    },
    { dryRun },
  );
  return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}
