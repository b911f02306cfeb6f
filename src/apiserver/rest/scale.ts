// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas.
import type { KObject, ResourceDef, ScaleDef } from '../../api/types.js';
import { clone } from '../../util/clone.js';
import { errors } from '../status.js';
import type { ApiRequest } from '../types.js';
import type { ApiResult } from '../types.js';
import { applyPatch } from './patch.js';
import type { ResourceStorage } from './resource-store.js';

function read(obj: KObject, path: string[]): unknown {
  let cur: any = obj;
  for (const p of path) cur = cur?.[p];
  return cur;
}

function toScale(obj: KObject, scale: ScaleDef): KObject {
  const m = obj.metadata!;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: (read(obj, scale.specReplicasPath ?? ['spec', 'replicas']) as number | undefined) ?? 0 },
    status: { replicas: (read(obj, scale.statusReplicasPath ?? ['status', 'replicas']) as number | undefined) ?? 0, selector: scale.selector(obj) },
  };
}

export async function scaleSubresource(
  rs: ResourceStorage,
  def: ResourceDef,
  ns: string | undefined,
  req: ApiRequest,
  scale: ScaleDef,
  dryRun: boolean,
): Promise<ApiResult> {
  const name = req.name!;
  if (req.verb === 'get') return { status: 200, body: toScale(await rs.get(def, ns, name), scale) };
  if (req.verb !== 'update' && req.verb !== 'patch') throw errors.methodNotSupported(def.group, `${def.plural}/scale`, req.verb);
  const r = await rs.guaranteedUpdate(
    def,
    ns,
    name,
    async (current) => {
      if (!current) throw errors.notFound(def.group, def.plural, name);
      const before = toScale(current, scale);
      const wanted = req.verb === 'patch' ? applyPatch(before, req.patchType ?? '', req.body) : (req.body as KObject);
      if (!wanted || typeof wanted !== 'object') throw errors.badRequest('the body of the request must be a Scale object');
      const rv = wanted.metadata?.resourceVersion;
      if (rv && rv !== current.metadata!.resourceVersion)
        throw errors.conflict(def.group, def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
      const replicas = wanted.spec?.replicas;
      if (replicas === undefined || replicas === null)
        throw errors.invalid('autoscaling', 'Scale', name, [{ type: 'FieldValueRequired', field: 'spec.replicas', message: 'Required value' }]);
      if (!Number.isInteger(replicas) || replicas < 0)
        throw errors.invalid('autoscaling', 'Scale', name, [
          { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` },
        ]);
      const path = scale.specReplicasPath ?? ['spec', 'replicas'];
      // Change a copy: prepareUpdate compares it with `current` (e.g. to bump the generation).
      const desired = clone(current);
      let cur: any = desired;
      for (const p of path.slice(0, -1)) cur = cur[p] = cur[p] ?? {};
      cur[path[path.length - 1]!] = replicas;
      return rs.prepareUpdate(def, current, desired, undefined);
    },
    { dryRun },
  );
  return { status: 200, body: toScale(r.object, scale) };
}
