// A Deployment scaled to 100,000 replicas on 100 simulated nodes: while the ReplicaSet
// controller, the scheduler and the simulated node agents (all in the server's process)
// work through the burst, a second client's GETs, kubectl and /readyz keep answering within
// a second. The burst is bounded in time: 100,000 pods cannot be made in a test's minute on
// a shared 2-core machine, and what the issue asks for is responsiveness during the burst.
// The Deployment is then scaled to 0 and the server stopped.
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { identityClients, percentile as p, type Caller, type IdentityClients } from '../helpers/identity-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { probe, rssMiB } from './harness.js';

const REPLICAS = 100_000;
const NODES = 100;
/** How long the burst is watched; creation goes on past it until the scale-down. */
const BURST_MS = 40_000;
/** Scaling to 0 waits for the batch of creates in flight (up to 500), then deletes: watched until pods go, at most this long. */
const SCALE_DOWN_MS = 30_000;
const SCALE_DOWN_SLICE_MS = 5_000;
const PAUSE_MS = 100;
/** The bound for the second client's p99 and for /readyz. */
const P99_BOUND_MS = 1000;
/** kubectl is a process of its own (about 0.3 s on an idle machine): its median is held to the bound. */
const KUBECTL_MEDIAN_BOUND_MS = 1000;
/**
 * The burst must really be under way: pods the server made while it was measured. The
 * slow-start batches 1, 2, 4, … 128 make 255; a shared machine may allow few more.
 */
const MIN_PODS_CREATED = 255;
/** 100 node objects, thousands of pods with their events, the watch cache's history. */
const MAX_RSS_MIB = 2048;

let server: TestServer;
let clients: IdentityClients;
let admin: Caller;
let reader: Caller;

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

before(async () => {
  server = await startServer({
    args: ['--simulated-nodes', String(NODES), '--simulated-node-capacity', 'cpu=1000,memory=4000Gi,pods=1100'],
    timeoutMs: 90_000,
  });
  clients = await identityClients(server.dataDir, server.port);
  admin = await clients.as('admin', [], true);
  reader = await clients.as('reader');
  const bound = await server.kubectl(['create', 'clusterrolebinding', 'burst-reader', '--clusterrole=view', '--user=reader']);
  assert.equal(bound.code, 0, bound.stderr);
});

after(async () => {
  clients?.close();
  await server?.cleanup();
});

interface Samples {
  get: number[];
  list: number[];
  readyz: number[];
  kubectl: number[];
  failures: string[];
}

/** Reads as a second client would, until `until`: a GET and a small list, /readyz, and now and then kubectl get. */
async function measure(until: number): Promise<Samples> {
  const s: Samples = { get: [], list: [], readyz: [], kubectl: [], failures: [] };
  const api = (async () => {
    while (Date.now() < until) {
      const g = await reader('GET', `${DEPLOYMENTS}/burst`);
      if (g.status !== 200) s.failures.push(`GET deployment: ${g.status} ${g.body.slice(0, 200)}`);
      s.get.push(g.ms);
      const l = await reader('GET', '/api/v1/namespaces/default/pods?limit=20');
      if (l.status !== 200) s.failures.push(`list pods: ${l.status} ${l.body.slice(0, 200)}`);
      s.list.push(l.ms);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  })();
  const health = (async () => {
    while (Date.now() < until) {
      // A probe that does not answer in 5 s counts as 5 s: far over the bound, and the loop goes on.
      const r = await probe(server.port, '/readyz', 5000).catch((err: Error) => ({ status: 0, ms: 5000, body: err.message }));
      if (r.status !== 200) s.failures.push(`/readyz: ${r.status} ${r.body}`);
      s.readyz.push(r.ms);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  })();
  const cli = (async () => {
    while (Date.now() < until) {
      const t0 = performance.now();
      const r = await server.kubectl(['get', 'deployment', 'burst', '-o', 'name'], { timeoutMs: 20_000 });
      if (r.code !== 0) s.failures.push(`kubectl get: ${r.code} ${r.stderr}`);
      s.kubectl.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  await Promise.all([api, health, cli]);
  return s;
}

function summary(s: Samples): string {
  const f = (xs: number[]) => `n=${xs.length} p50 ${p(xs, 0.5).toFixed(0)} p99 ${p(xs, 0.99).toFixed(0)} max ${Math.max(...xs).toFixed(0)} ms`;
  return `GET ${f(s.get)}; list ${f(s.list)}; /readyz ${f(s.readyz)}; kubectl ${f(s.kubectl)}`;
}

function assertResponsive(s: Samples, phase: string): void {
  const detail = `${phase}: ${summary(s)}`;
  assert.deepEqual(s.failures, [], detail);
  assert.ok(s.get.length >= 10 && s.readyz.length >= 10 && s.kubectl.length >= 2, `too few samples: ${detail}`);
  assert.ok(p(s.get, 0.99) <= P99_BOUND_MS, `the second client's GET p99 is over ${P99_BOUND_MS} ms: ${detail}`);
  assert.ok(p(s.list, 0.99) <= P99_BOUND_MS, `the second client's list p99 is over ${P99_BOUND_MS} ms: ${detail}`);
  assert.ok(p(s.readyz, 0.99) <= P99_BOUND_MS, `/readyz p99 is over ${P99_BOUND_MS} ms: ${detail}`);
  assert.ok(p(s.kubectl, 0.5) <= KUBECTL_MEDIAN_BOUND_MS, `kubectl get's median is over ${KUBECTL_MEDIAN_BOUND_MS} ms: ${detail}`);
}

/** Pods in the namespace, as a list of one tells (remainingItemCount). */
async function podCount(): Promise<number> {
  const r = await admin('GET', '/api/v1/namespaces/default/pods?limit=1');
  assert.equal(r.status, 200, r.body);
  const list = JSON.parse(r.body);
  return list.items.length + (list.metadata?.remainingItemCount ?? 0);
}

describe('a Deployment scaled to 100,000 replicas', () => {
  it('leaves the API responsive to a second client while its pods are created and removed', { timeout: 120_000 }, async () => {
    const created = await admin('POST', DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'burst' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'burst' } },
        template: { metadata: { labels: { app: 'burst' } }, spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] } },
      },
    });
    assert.equal(created.status, 201, created.body);

    let maxRss = 0;
    const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssMiB(server.proc.pid!))), 500);
    try {
      const burst = await measure(Date.now() + BURST_MS);
      const pods = await podCount();
      console.log(
        `# burst: ${pods} pods after ${BURST_MS / 1000} s; ${summary(burst)}; max RSS ${maxRss.toFixed(0)} MiB; load average ${loadavg()[0]!.toFixed(1)}`,
      );
      assert.ok(pods >= MIN_PODS_CREATED, `only ${pods} pods were created during the burst: it did not load the server`);
      assertResponsive(burst, 'during the burst');

      const scaled = await server.kubectl(['scale', 'deployment', 'burst', '--replicas=0'], { timeoutMs: 20_000 });
      assert.equal(scaled.code, 0, scaled.stderr);
      const downEnd = Date.now() + SCALE_DOWN_MS;
      const down: Samples = { get: [], list: [], readyz: [], kubectl: [], failures: [] };
      let peak = pods;
      let left = pods;
      while (Date.now() < downEnd && left >= peak) {
        const slice = await measure(Math.min(downEnd, Date.now() + SCALE_DOWN_SLICE_MS));
        for (const k of ['get', 'list', 'readyz', 'kubectl', 'failures'] as const) (down[k] as unknown[]).push(...slice[k]);
        left = await podCount();
        peak = Math.max(peak, left);
      }
      console.log(`# scale-down: ${left} pods left, from a peak of ${peak}; ${summary(down)}; max RSS ${maxRss.toFixed(0)} MiB`);
      assert.ok(left < peak, `no pod was removed within ${SCALE_DOWN_MS / 1000} s of scaling to 0 (${left} left)`);
      assertResponsive(down, 'during the scale-down');
      assert.ok(maxRss < MAX_RSS_MIB, `server RSS reached ${maxRss.toFixed(0)} MiB, over the ${MAX_RSS_MIB} MiB bound`);
    } finally {
      clearInterval(rssTimer);
    }
  });
});
