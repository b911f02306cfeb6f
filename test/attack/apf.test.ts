// API Priority and Fairness against a real HTTPS apiserver: a client flooding lists in
// its own flow is queued and turned away with 429 + Retry-After, while another flow of the
// same priority level keeps a low p99 and the health probes keep answering. Every loop is
// bounded in count and in time.
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { type Caller, identityClients, type IdentityClients, percentile, type TimedResponse } from '../helpers/identity-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CONFIGMAPS = 1000;
// Walks every ConfigMap (so it is charged 10 seats, and costs the server) but matches none:
// the flood loads the server, not the test's own client side.
const FLOOD_LIST = '/api/v1/namespaces/default/configmaps?labelSelector=flood%3Dnone';
const FLOOD_CONCURRENCY = 24;
const FLOOD_MAX_REQUESTS = 3000;
const QUIET_REQUESTS = 60;
/** The quiet flow's p99 while the flood runs, on a loaded 2-core machine. */
const QUIET_P99_BOUND_MS = 2000;
/** Probes never queue; on a loaded shared machine one may still wait for the event loop at the flood's onset. */
const PROBE_P95_BOUND_MS = 1000;
const PROBE_MAX_MS = 5000;

type Res = TimedResponse;

let server: TestServer;
let clients: IdentityClients;
let admin: Caller;
let flooder: Caller;
let quietUser: Caller;
let anonymous: Caller;
const p = percentile;

before(async () => {
  // A small server limit (6 seats in all), so that a bounded flood fills it.
  server = await startServer({ args: ['--disable-scheduler', '--max-requests-inflight', '4', '--max-mutating-requests-inflight', '2'], timeoutMs: 60_000 });
  clients = await identityClients(server.dataDir, server.port);
  admin = await clients.as('admin', [], true);
  flooder = await clients.as('flooder');
  quietUser = await clients.as('quiet');
  anonymous = await clients.as(undefined);
  // RBAC: both users may read; what is measured is flow control, not authorization.
  const bound = await server.kubectl(['create', 'clusterrolebinding', 'apf-test-view', '--clusterrole=view', '--user=flooder', '--user=quiet']);
  assert.equal(bound.code, 0, bound.stderr);
});

after(async () => {
  clients?.close();
  await server?.cleanup();
});

describe('API Priority and Fairness', () => {
  it('kubectl get flowschemas,prioritylevelconfigurations shows the bootstrap objects with their columns', async () => {
    const r = await server.kubectl(['get', 'flowschemas,prioritylevelconfigurations']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NAME\s+PRIORITYLEVEL\s+MATCHINGPRECEDENCE\s+DISTINGUISHERMETHOD\s+AGE\s+MISSINGPL/);
    assert.match(r.stdout, /flowschema\.flowcontrol\.apiserver\.k8s\.io\/global-default\s+global-default\s+9900\s+ByUser/);
    assert.match(r.stdout, /NAME\s+TYPE\s+NOMINALCONCURRENCYSHARES\s+QUEUES\s+HANDSIZE\s+QUEUELENGTHLIMIT\s+AGE/);
    assert.match(r.stdout, /prioritylevelconfiguration\.flowcontrol\.apiserver\.k8s\.io\/workload-low\s+Limited\s+100\s+128\s+6\s+50/);
    for (const name of ['exempt', 'catch-all', 'system', 'node-high', 'leader-election', 'workload-high', 'global-default'])
      assert.match(r.stdout, new RegExp(`/${name}\\s`));
  });

  it('a FlowSchema naming a missing priority level is Dangling', async () => {
    const fs = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'points-nowhere' },
      spec: {
        priorityLevelConfiguration: { name: 'no-such-level' },
        matchingPrecedence: 7000,
        rules: [{ subjects: [{ kind: 'User', user: { name: 'nobody' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/nothing'] }] }],
      },
    };
    assert.equal((await admin('POST', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas', fs)).status, 201);
    const deadline = Date.now() + 15_000;
    let cond: any;
    while (Date.now() < deadline) {
      const got = JSON.parse((await admin('GET', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/points-nowhere')).body);
      cond = got.status?.conditions?.find((c: any) => c.type === 'Dangling');
      if (cond) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'NotFound');
    assert.match(cond?.message, /references the PriorityLevelConfiguration object named "no-such-level" but there is no such object/);
  });

  it('a flooding flow is queued and rejected with Retry-After; another flow of its level stays fast; probes answer throughout', async () => {
    // One level for both users, with short queues, each user its own flow.
    const pl = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'attack-test' },
      spec: {
        type: 'Limited',
        limited: { nominalConcurrencyShares: 30, limitResponse: { type: 'Queue', queuing: { queues: 8, handSize: 2, queueLengthLimit: 4 } } },
      },
    };
    const fs = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'attack-test' },
      spec: {
        priorityLevelConfiguration: { name: 'attack-test' },
        matchingPrecedence: 500,
        distinguisherMethod: { type: 'ByUser' },
        rules: [
          {
            subjects: [
              { kind: 'User', user: { name: 'flooder' } },
              { kind: 'User', user: { name: 'quiet' } },
            ],
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }],
          },
        ],
      },
    };
    const plRes = await admin('POST', '/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations', pl);
    assert.equal(plRes.status, 201, plRes.body);
    const plUid = JSON.parse(plRes.body).metadata.uid;
    const fsRes = await admin('POST', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas', fs);
    assert.equal(fsRes.status, 201, fsRes.body);
    const fsUid = JSON.parse(fsRes.body).metadata.uid;
    for (let i = 0; i < CONFIGMAPS; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          admin('POST', '/api/v1/namespaces/default/configmaps', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `cm-${i + j}` },
            data: { k: 'x'.repeat(200) },
          }),
        ),
      );
    // The dispatcher picks the new objects up within its resync.
    const deadline = Date.now() + 15_000;
    while ((await quietUser('GET', '/api/v1/namespaces/default/configmaps/cm-1')).headers['x-kubernetes-pf-prioritylevel-uid'] !== plUid) {
      assert.ok(Date.now() < deadline, 'the attack-test priority level never took effect');
      await new Promise((r) => setTimeout(r, 200));
    }

    let flooding = true;
    const flood: Res[] = [];
    let sent = 0;
    const floodEnd = Date.now() + 60_000;
    const flooders = Array.from({ length: FLOOD_CONCURRENCY }, async () => {
      while (flooding && sent < FLOOD_MAX_REQUESTS && Date.now() < floodEnd) {
        sent++;
        flood.push(await flooder('GET', FLOOD_LIST));
      }
    });
    const probes: Res[] = [];
    const prober = (async () => {
      while (flooding && Date.now() < floodEnd)
        for (const path of ['/readyz', '/livez', '/healthz']) {
          probes.push(await anonymous('GET', path));
          await new Promise((r) => setTimeout(r, 50));
        }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    const quiet: Res[] = [];
    for (let i = 0; i < QUIET_REQUESTS; i++) quiet.push(await quietUser('GET', `/api/v1/namespaces/default/configmaps/cm-${i}`));
    flooding = false;
    await Promise.all([...flooders, prober]);

    const rejected = flood.filter((r) => r.status === 429);
    const served = flood.filter((r) => r.status === 200);
    const quietMs = quiet.map((r) => r.ms);
    const detail = `flood: ${flood.length} sent, ${served.length} served (p50 ${p(
      served.map((r) => r.ms),
      0.5,
    ).toFixed(0)} ms), ${rejected.length} rejected; quiet p50 ${p(quietMs, 0.5).toFixed(0)} ms, p99 ${p(quietMs, 0.99).toFixed(0)} ms`;
    const probeMs = probes.map((r) => r.ms);
    console.log(
      `# ${detail}; probes ${probes.length}: p50 ${p(probeMs, 0.5).toFixed(0)} ms, p99 ${p(probeMs, 0.99).toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    assert.ok(
      quiet.every((r) => r.status === 200),
      `quiet flow failed: ${detail}`,
    );
    assert.ok(rejected.length > 0, `the flood was never turned away: ${detail}`);
    for (const r of rejected.slice(0, 20)) {
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(r.headers['x-kubernetes-pf-flowschema-uid'], fsUid);
      assert.equal(r.headers['x-kubernetes-pf-prioritylevel-uid'], plUid);
      const st = JSON.parse(r.body);
      assert.equal(st.reason, 'TooManyRequests');
      assert.equal(st.message, 'Too many requests, please try again later.');
    }
    assert.ok(p(quietMs, 0.99) < QUIET_P99_BOUND_MS, `quiet flow p99 over ${QUIET_P99_BOUND_MS} ms: ${detail}`);
    // Probes are exempt (never queued); what they wait for is the server's one event loop.
    assert.ok(probes.length >= 3 && probes.every((r) => r.status === 200), `a probe failed: ${probes.map((r) => `${r.status}/${r.ms.toFixed(0)}`).join(' ')}`);
    assert.ok(p(probeMs, 0.95) < PROBE_P95_BOUND_MS, `probe p95 over ${PROBE_P95_BOUND_MS} ms: ${probeMs.map((m) => m.toFixed(0)).join(' ')}`);
    assert.ok(Math.max(...probeMs) < PROBE_MAX_MS, `a probe took over ${PROBE_MAX_MS} ms: ${probeMs.map((m) => m.toFixed(0)).join(' ')}`);
  });
});
