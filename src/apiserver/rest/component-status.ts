// componentstatuses: deprecated in Kubernetes but still served; here each component is
// in this process, so each is healthy when its part of the server answers.
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';
import type { ApiRequest } from '../types.js';
import type { ApiResult } from '../types.js';
import type { ResourceStorage } from './resource-store.js';

async function probe(rs: ResourceStorage): Promise<KObject[]> {
  let storeOk = true;
  let storeMsg = 'ok';
  try {
    await rs.store.currentRevision();
  } catch (err) {
    storeOk = false;
    storeMsg = (err as Error).message;
  }
  const item = (name: string, ok: boolean, message: string): KObject => ({
    kind: 'ComponentStatus',
    apiVersion: 'v1',
    metadata: { name },
    conditions: [{ type: 'Healthy', status: ok ? 'True' : 'False', message: ok ? message : undefined, error: ok ? undefined : message }],
  });
  return [item('controller-manager', true, 'ok'), item('scheduler', true, 'ok'), item('etcd-0', storeOk, storeOk ? '{"health":"true","reason":""}' : storeMsg)];
}

export async function componentStatuses(def: ResourceDef, req: ApiRequest, rs: ResourceStorage): Promise<ApiResult> {
  const items = await probe(rs);
  if (req.verb === 'list') return { status: 200, body: { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items }, def, list: true };
  if (req.verb === 'get') {
    const item = items.find((i) => i.metadata!.name === req.name);
    if (!item) throw errors.notFound('', 'componentstatuses', req.name!);
    return { status: 200, body: item, def };
  }
  throw errors.methodNotSupported('', 'componentstatuses', req.verb);
}
