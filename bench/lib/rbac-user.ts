// The RBAC objects that let a benchmark's non-admin user work through a group binding.
import type { LoadClient } from './http.js';
import { closedLoop } from './http.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

/**
 * `count` Roles and RoleBindings in `namespace`, every binding naming `group`: all but the
 * last grant something else (so an authorizer meets them all before the one that allows),
 * the last grants create and get on ConfigMaps.
 */
export async function createGroupRoles(admin: LoadClient, namespace: string, group: string, count: number): Promise<void> {
  await closedLoop(count, 16, async (i) => {
    const last = i === count - 1;
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `bench-${i}` },
      rules: last
        ? [{ verbs: ['create', 'get'], apiGroups: [''], resources: ['configmaps'] }]
        : [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: [`secret-${i}`] }],
    };
    const r = await admin.request('POST', `${RBAC}/namespaces/${namespace}/roles`, JSON.stringify(role));
    if (r.status !== 201) throw new Error(`role create failed: ${r.status} ${r.body}`);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `bench-${i}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `bench-${i}` },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    };
    const b = await admin.request('POST', `${RBAC}/namespaces/${namespace}/rolebindings`, JSON.stringify(binding));
    if (b.status !== 201) throw new Error(`rolebinding create failed: ${b.status} ${b.body}`);
  });
}
