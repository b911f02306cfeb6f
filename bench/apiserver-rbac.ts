// The apiserver with RBAC on (Node,RBAC, 1,000 Roles and RoleBindings in the namespace, the
// user allowed through a group binding met last) against RBAC off (AlwaysAllow, same
// objects, same user) in the same run: ConfigMap create throughput and get latency.
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { startServer } from '../test/helpers/server.js';
import { closedLoop, LoadClient } from './lib/http.js';
import { summarize, type Row } from './lib/report.js';
import { createGroupRoles } from './lib/rbac-user.js';
import { issueClientCert } from '../test/helpers/client-cert.js';

const ROLES = 1000;
const CREATES = 4000;
const GETS = 4000;
const CONCURRENCY = 32;

async function measure(mode: string): Promise<{ throughput: number; getP50: number; getP99: number; createP99: number }> {
  const s = await startServer({ args: ['--disable-scheduler', '--authorization-mode', mode] });
  const admin = LoadClient.fromKubeconfig(s.kubeconfig, 16);
  let user: LoadClient | undefined;
  try {
    await admin.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    await createGroupRoles(admin, 'bench', 'bench-group', ROLES);
    const { cert, key } = issueClientCert(s.dataDir, 'bench-user', ['bench-group']);
    user = new LoadClient(loadKubeconfig(s.kubeconfig).options.server, { ca: loadKubeconfig(s.kubeconfig).options.ca, cert, key }, CONCURRENCY);
    const base = '/api/v1/namespaces/bench/configmaps';
    const body = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { key: 'value' } });
    const createLat: number[] = [];
    const ms = await closedLoop(CREATES, CONCURRENCY, async (i) => {
      const r = await user!.request('POST', base, body(i));
      if (r.status !== 201) throw new Error(`create as bench-user (${mode}) failed: ${r.status} ${r.body}`);
      createLat.push(r.ms);
    });
    const getLat: number[] = [];
    await closedLoop(GETS, 4, async (i) => {
      const r = await user!.request('GET', `${base}/cm-${i % CREATES}`);
      if (r.status !== 200) throw new Error(`get as bench-user (${mode}) failed: ${r.status}`);
      getLat.push(r.ms);
    });
    const g = summarize(getLat);
    return { throughput: (CREATES / ms) * 1000, getP50: g.p50, getP99: g.p99, createP99: summarize(createLat).p99 };
  } finally {
    user?.close();
    admin.close();
    await s.cleanup();
  }
}

export async function rbacOnOff(): Promise<Row[]> {
  // Off first, then on, then off again: the better of the two "off" runs is the baseline, so
  // that a warmer machine in the second half does not flatter RBAC.
  const off1 = await measure('AlwaysAllow');
  const on = await measure('Node,RBAC');
  const off2 = await measure('AlwaysAllow');
  const off = {
    throughput: Math.max(off1.throughput, off2.throughput),
    getP99: Math.min(off1.getP99, off2.getP99),
    getP50: Math.min(off1.getP50, off2.getP50),
    createP99: Math.min(off1.createP99, off2.createP99),
  };
  const ratio = on.throughput / off.throughput;
  const getRatio = on.getP99 / off.getP99;
  const note = `${ROLES} Roles+RoleBindings in the namespace, user allowed via a group binding; ${CREATES} creates, ${CONCURRENCY} in flight`;
  return [
    { figure: 'rbac_off_create_throughput', value: off.throughput, unit: 'per_s', note: 'AlwaysAllow, best of two runs' },
    { figure: 'rbac_on_create_throughput', value: on.throughput, unit: 'per_s', note },
    { figure: 'rbac_on_vs_off_create_throughput', value: ratio, unit: 'ratio', target: '>= 0.9', ok: ratio >= 0.9 },
    { figure: 'rbac_off_create_p99', value: off.createP99, unit: 'ms' },
    { figure: 'rbac_on_create_p99', value: on.createP99, unit: 'ms' },
    { figure: 'rbac_off_get_p99', value: off.getP99, unit: 'ms' },
    { figure: 'rbac_on_get_p99', value: on.getP99, unit: 'ms' },
    { figure: 'rbac_on_vs_off_get_p99', value: getRatio, unit: 'ratio', target: '<= 1.1', ok: getRatio <= 1.1 },
  ];
}
