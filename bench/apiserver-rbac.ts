// The apiserver with RBAC on (Node,RBAC, 1,000 Roles and RoleBindings in the namespace, the
// user allowed through a group binding met last) against RBAC off (AlwaysAllow, same
// objects, same user) in the same run: ConfigMap create throughput and get latency. Both
// servers run side by side and take turns in short slices (creates by 100, gets in batches
// of 10, who goes first flipped every turn), so that a change in the machine's load, or a
// pause of this client, weighs on both alike. Measuring each server for a second or two at
// a time let that noise fall on whichever was measured then: two identical AlwaysAllow
// servers measured that way came out with a get p99 ratio of 0.16 on a loaded machine.
// `--control` adds such a twin to the run, to show its noise.
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { startServer, type TestServer } from '../test/helpers/server.js';
import { issueClientCert } from '../test/helpers/client-cert.js';
import { closedLoop, LoadClient } from './lib/http.js';
import { summarize, type Row } from './lib/report.js';
import { createGroupRoles } from './lib/rbac-user.js';

const ROLES = 1000;
// Enough rounds that each p99 rests on ~240 samples above it: with fewer, two identical servers
// differ by more than the 10 % the target allows.
const ROUNDS = 12;
const CREATE_SLICE = 100;
const CREATE_SLICES_PER_ROUND = 10;
const GET_BATCH = 10;
const GET_BATCHES_PER_ROUND = 200;
const CONCURRENCY = 32;
const GET_CONCURRENCY = 4;

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

const BASE = '/api/v1/namespaces/bench/configmaps';

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

async function createSlice(s: Side): Promise<void> {
  const first = s.created;
  s.createMs += await closedLoop(CREATE_SLICE, CONCURRENCY, async (i) => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${first + i}` }, data: { key: 'value' } });
    const res = await s.user.request('POST', BASE, body);
    if (res.status !== 201) throw new Error(`create as bench-user (${s.mode}) failed: ${res.status} ${res.body}`);
    s.createLat.push(res.ms);
  });
  s.created += CREATE_SLICE;
}

async function getBatch(s: Side, batch: number): Promise<void> {
  await closedLoop(GET_BATCH, GET_CONCURRENCY, async (i) => {
    // Both servers hold the same names, and batch n reads the same ones on each.
    const res = await s.user.request('GET', `${BASE}/cm-${((batch * GET_BATCH + i) * 7) % s.created}`);
    if (res.status !== 200) throw new Error(`get as bench-user (${s.mode}) failed: ${res.status}`);
    s.getLat.push(res.ms);
  });
}

/** Runs `step` on every side `times` times, who goes first rotating (with two: alternating). */
async function takeTurns(sides: Side[], times: number, step: (s: Side, n: number) => Promise<void>): Promise<void> {
  for (let n = 0; n < times; n++) for (let k = 0; k < sides.length; k++) await step(sides[(n + k) % sides.length]!, n);
}

/**
 * `control`: a second AlwaysAllow server takes its turns too, and its get p99 against the
 * first's is printed beside the RBAC ratio: how far two identical servers drift apart on
 * this machine in this run, the noise under which the 10 % is judged.
 */
export async function rbacOnOff(control = false): Promise<Row[]> {
  const sides: Side[] = [];
  try {
    sides.push(await side('AlwaysAllow'), await side('Node,RBAC'));
    if (control) sides.push(await side('AlwaysAllow'));
    const [off, on] = sides as [Side, Side];
    let batch = 0;
    for (let r = 0; r < ROUNDS; r++) {
      await takeTurns(sides, CREATE_SLICES_PER_ROUND, (s) => createSlice(s));
      await takeTurns(sides, GET_BATCHES_PER_ROUND, (s, n) => getBatch(s, batch + n));
      batch += GET_BATCHES_PER_ROUND;
    }
    const tput = (s: Side) => (s.created / s.createMs) * 1000;
    const ratio = tput(on) / tput(off);
    const offGet = summarize(off.getLat);
    const onGet = summarize(on.getLat);
    const note = `${ROLES} Roles+RoleBindings in the namespace, user allowed via a group binding; ${on.created} creates, ${CONCURRENCY} in flight`;
    const rows: Row[] = [
      { figure: 'rbac_off_create_throughput', value: tput(off), unit: 'per_s', note: 'AlwaysAllow' },
      { figure: 'rbac_on_create_throughput', value: tput(on), unit: 'per_s', note },
      { figure: 'rbac_on_vs_off_create_throughput', value: ratio, unit: 'ratio', target: '>= 0.9', ok: ratio >= 0.9 },
      { figure: 'rbac_off_create_p99', value: summarize(off.createLat).p99, unit: 'ms' },
      { figure: 'rbac_on_create_p99', value: summarize(on.createLat).p99, unit: 'ms' },
      { figure: 'rbac_off_get_p50', value: offGet.p50, unit: 'ms' },
      { figure: 'rbac_on_get_p50', value: onGet.p50, unit: 'ms' },
      { figure: 'rbac_off_get_p99', value: offGet.p99, unit: 'ms' },
      { figure: 'rbac_on_get_p99', value: onGet.p99, unit: 'ms', note: `${onGet.n} gets a side in batches of ${GET_BATCH}, ${GET_CONCURRENCY} in flight` },
      { figure: 'rbac_on_vs_off_get_p99', value: onGet.p99 / offGet.p99, unit: 'ratio', target: '<= 1.1', ok: onGet.p99 / offGet.p99 <= 1.1 },
    ];
    const twin = sides[2];
    if (twin) {
      const twinGet = summarize(twin.getLat);
      rows.push(
        { figure: 'control_off_get_p99', value: twinGet.p99, unit: 'ms', note: 'a second AlwaysAllow server' },
        { figure: 'control_off_vs_off_get_p99', value: twinGet.p99 / offGet.p99, unit: 'ratio', note: 'noise: two identical servers' },
        { figure: 'control_off_vs_off_create_throughput', value: tput(twin) / tput(off), unit: 'ratio', note: 'noise: two identical servers' },
      );
    }
    return rows;
  } finally {
    for (const s of sides) {
      s.user.close();
      s.admin.close();
      await s.server.cleanup();
    }
  }
}
