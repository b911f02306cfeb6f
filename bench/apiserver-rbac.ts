// The apiserver with RBAC on (Node,RBAC, 1,000 Roles and RoleBindings in the namespace, the
// user allowed through a group binding met last) against RBAC off (AlwaysAllow, same
// objects, same user) in the same run: ConfigMap create throughput and get latency. Both
// servers run side by side and are measured in alternating rounds, so that a change in the
// machine's load during the run weighs on both alike.
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { startServer, type TestServer } from '../test/helpers/server.js';
import { issueClientCert } from '../test/helpers/client-cert.js';
import { closedLoop, LoadClient } from './lib/http.js';
import { summarize, type Row } from './lib/report.js';
import { createGroupRoles } from './lib/rbac-user.js';

const ROLES = 1000;
const ROUNDS = 4;
const CREATES_PER_ROUND = 1000;
const GETS_PER_ROUND = 1000;
const CONCURRENCY = 32;

interface Side {
  mode: string;
  server: TestServer;
  admin: LoadClient;
  user: LoadClient;
  createMs: number;
  created: number;
  createLat: number[];
  getLat: number[];
}

async function side(mode: string): Promise<Side> {
  const server = await startServer({ args: ['--disable-scheduler', '--authorization-mode', mode] });
  const admin = LoadClient.fromKubeconfig(server.kubeconfig, 16);
  await admin.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
  await createGroupRoles(admin, 'bench', 'bench-group', ROLES);
  const { cert, key } = issueClientCert(server.dataDir, 'bench-user', ['bench-group']);
  const { options } = loadKubeconfig(server.kubeconfig);
  const user = new LoadClient(options.server, { ca: options.ca, cert, key }, CONCURRENCY);
  return { mode, server, admin, user, createMs: 0, created: 0, createLat: [], getLat: [] };
}

async function round(s: Side, r: number): Promise<void> {
  const base = '/api/v1/namespaces/bench/configmaps';
  const first = r * CREATES_PER_ROUND;
  s.createMs += await closedLoop(CREATES_PER_ROUND, CONCURRENCY, async (i) => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${first + i}` }, data: { key: 'value' } });
    const res = await s.user.request('POST', base, body);
    if (res.status !== 201) throw new Error(`create as bench-user (${s.mode}) failed: ${res.status} ${res.body}`);
    s.createLat.push(res.ms);
  });
  s.created += CREATES_PER_ROUND;
  await closedLoop(GETS_PER_ROUND, 4, async (i) => {
    const res = await s.user.request('GET', `${base}/cm-${(i * 7) % s.created}`);
    if (res.status !== 200) throw new Error(`get as bench-user (${s.mode}) failed: ${res.status}`);
    s.getLat.push(res.ms);
  });
}

export async function rbacOnOff(): Promise<Row[]> {
  const sides: Side[] = [];
  try {
    sides.push(await side('AlwaysAllow'), await side('Node,RBAC'));
    const [off, on] = sides as [Side, Side];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always meets the warmer half of a round.
      for (const s of r % 2 ? [on, off] : [off, on]) await round(s, r);
    }
    const tput = (s: Side) => (s.created / s.createMs) * 1000;
    const ratio = tput(on) / tput(off);
    const offGet = summarize(off.getLat);
    const onGet = summarize(on.getLat);
    const note = `${ROLES} Roles+RoleBindings in the namespace, user allowed via a group binding; ${ROUNDS}×${CREATES_PER_ROUND} creates, ${CONCURRENCY} in flight`;
    return [
      { figure: 'rbac_off_create_throughput', value: tput(off), unit: 'per_s', note: 'AlwaysAllow' },
      { figure: 'rbac_on_create_throughput', value: tput(on), unit: 'per_s', note },
      { figure: 'rbac_on_vs_off_create_throughput', value: ratio, unit: 'ratio', target: '>= 0.9', ok: ratio >= 0.9 },
      { figure: 'rbac_off_create_p99', value: summarize(off.createLat).p99, unit: 'ms' },
      { figure: 'rbac_on_create_p99', value: summarize(on.createLat).p99, unit: 'ms' },
      { figure: 'rbac_off_get_p50', value: offGet.p50, unit: 'ms' },
      { figure: 'rbac_on_get_p50', value: onGet.p50, unit: 'ms' },
      { figure: 'rbac_off_get_p99', value: offGet.p99, unit: 'ms' },
      { figure: 'rbac_on_get_p99', value: onGet.p99, unit: 'ms' },
      { figure: 'rbac_on_vs_off_get_p99', value: onGet.p99 / offGet.p99, unit: 'ratio', target: '<= 1.1', ok: onGet.p99 / offGet.p99 <= 1.1 },
    ];
  } finally {
    for (const s of sides) {
      s.user.close();
      s.admin.close();
      await s.server.cleanup();
    }
  }
}
