// A non-admin user for benchmarks: a client certificate from the server's CA (made with
// openssl), and the RBAC objects that let it work through a group binding.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadClient } from './http.js';
import { closedLoop } from './http.js';

/** A certificate and key for CN=user, O=group signed by the CA in DATA_DIR/tls. */
export function issueClientCert(dataDir: string, user: string, group: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-cert-'));
  try {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('ext'), 'extendedKeyUsage=clientAuth\n');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('key')]);
    execFileSync('openssl', ['req', '-new', '-key', f('key'), '-subj', `/O=${group}/CN=${user}`, '-out', f('csr')]);
    const tls = join(dataDir, 'tls');
    execFileSync('openssl', [
      'x509', '-req', '-in', f('csr'), '-CA', join(tls, 'ca.crt'), '-CAkey', join(tls, 'ca.key'), '-CAcreateserial', '-CAserial', f('srl'),
      '-days', '1', '-extfile', f('ext'), '-out', f('crt'),
    ]);
    return { cert: readFileSync(f('crt'), 'utf8'), key: readFileSync(f('key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
