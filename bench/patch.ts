// bench/patch: strategic merge patch of a 20-container pod and server-side apply of a
// Deployment. "Server" figures time the apiserver's handling of one request (decode done,
// through patch/apply, defaulting, validation, managedFields and the SQLite write); the
// HTTPS figures add the client round trip over keep-alive TLS. Loops are bounded in count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../src/api/builtin.js';
import { ApiServer } from '../src/apiserver/apiserver.js';
import { parseResourcePath } from '../src/apiserver/request-info.js';
import type { ApiRequest } from '../src/apiserver/types.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { startServer } from '../test/helpers/server.js';
import { LoadClient } from './lib/http.js';
import { report, summarize, type Row } from './lib/report.js';

const N = 2000;
const WARMUP = 200;
const SMP = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

function pod20(): Record<string, unknown> {
  const containers = Array.from({ length: 20 }, (_, i) => ({
    name: `c${i}`,
    image: `registry.local/app-${i}:1.0`,
    env: [
      { name: 'MODE', value: 'prod' },
      { name: 'INDEX', value: String(i) },
    ],
    ports: [{ containerPort: 8000 + i }],
    volumeMounts: [{ name: 'data', mountPath: `/data/${i}` }],
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'big', labels: { app: 'bench' } },
    spec: { containers, volumes: [{ name: 'data', emptyDir: {} }] },
  };
}

/** The kind of patch `kubectl set image` sends (a pod's spec allows little else), three containers. */
function smpPatch(i: number): Record<string, unknown> {
  return {
    metadata: { annotations: { round: String(i) } },
    spec: {
      containers: [
        { name: 'c3', image: `registry.local/app-3:${i}` },
        { name: 'c11', image: `registry.local/app-11:${i}` },
        { name: 'c17', image: `registry.local/app-17:${i}` },
      ],
    },
  };
}

function deployment(i: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'ssa', labels: { app: 'ssa' } },
    spec: {
      replicas: 1 + (i % 5),
      selector: { matchLabels: { app: 'ssa' } },
      template: {
        metadata: { labels: { app: 'ssa' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: `httpd:${i}`,
              ports: [{ containerPort: 80 }],
              env: [
                { name: 'A', value: '1' },
                { name: 'ROUND', value: String(i) },
              ],
            },
            { name: 'log', image: 'busybox:1', args: ['tail', '-f', '/dev/null'] },
          ],
        },
      },
    },
  };
}

async function inProcess(rows: Row[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-patch-'));
  // As the server opens it (src/storage/open.ts): checkpoints in a worker thread.
  const store = SqliteStore.open(join(dir, 'state.db'), { compactEvery: 0, backgroundCheckpointMs: 500 });
  const api = new ApiServer({ store, registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as any).bootstrap();
  const user = { username: 'bench', groups: ['system:masters'] };
  const req = (method: string, path: string, body: unknown, patchType?: string, query: Record<string, string> = {}): ApiRequest => {
    const q = new URLSearchParams(query);
    return { ...parseResourcePath(method, path, q)!, query: q, body, patchType, user, userAgent: 'bench/1.0' };
  };
  try {
    await api.handler.handle(req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    await api.handler.handle(req('POST', '/api/v1/namespaces/bench/pods', pod20()));
    const smp: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const r = req('PATCH', '/api/v1/namespaces/bench/pods/big', smpPatch(i), SMP);
      const t0 = performance.now();
      await api.handler.handle(r);
      if (i >= WARMUP) smp.push(performance.now() - t0);
    }
    const s = summarize(smp);
    rows.push({ figure: 'smp_20_container_pod_server_p50', value: s.p50, unit: 'ms' });
    rows.push({ figure: 'smp_20_container_pod_server_p99', value: s.p99, unit: 'ms', target: '<= 2', ok: s.p99 <= 2 });
    const ssa: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const r = req('PATCH', '/apis/apps/v1/namespaces/bench/deployments/ssa', deployment(i), APPLY, { fieldManager: `team-${i % 2}`, force: 'true' });
      const t0 = performance.now();
      await api.handler.handle(r);
      if (i >= WARMUP) ssa.push(performance.now() - t0);
    }
    const a = summarize(ssa);
    rows.push({ figure: 'ssa_deployment_server_p50', value: a.p50, unit: 'ms', note: 'two managers taking fields from each other (force)' });
    rows.push({ figure: 'ssa_deployment_server_p99', value: a.p99, unit: 'ms', target: '<= 5', ok: a.p99 <= 5 });
  } finally {
    api.cache.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overHttps(rows: Row[]): Promise<void> {
  const s = await startServer();
  const client = LoadClient.fromKubeconfig(s.kubeconfig, 1);
  try {
    await client.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    const created = await client.request('POST', '/api/v1/namespaces/bench/pods', JSON.stringify(pod20()));
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.body}`);
    const smp: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await client.request('PATCH', '/api/v1/namespaces/bench/pods/big', JSON.stringify(smpPatch(i)), SMP);
      if (r.status !== 200) throw new Error(`patch failed: ${r.status} ${r.body}`);
      if (i >= 100) smp.push(r.ms);
    }
    const ssa: number[] = [];
    for (let i = 0; i < 1000; i++) {
      // The server runs its controllers: a new template each time would start a rollout per
      // apply, so over HTTPS the applies change metadata only (still the whole config, merged).
      const cfg = deployment(0) as any;
      cfg.metadata.annotations = { round: String(i) };
      const r = await client.request(
        'PATCH',
        `/apis/apps/v1/namespaces/bench/deployments/ssa?fieldManager=team-${i % 2}&force=true`,
        JSON.stringify(cfg),
        APPLY,
      );
      if (r.status !== 200 && r.status !== 201) throw new Error(`apply failed: ${r.status} ${r.body}`);
      if (i >= 100) ssa.push(r.ms);
    }
    const a = summarize(smp);
    const b = summarize(ssa);
    rows.push({ figure: 'smp_20_container_pod_https_p50', value: a.p50, unit: 'ms' });
    rows.push({ figure: 'smp_20_container_pod_https_p99', value: a.p99, unit: 'ms' });
    rows.push({ figure: 'ssa_deployment_https_p50', value: b.p50, unit: 'ms', note: 'metadata-only changes' });
    rows.push({ figure: 'ssa_deployment_https_p99', value: b.p99, unit: 'ms' });
  } finally {
    client.close();
    await s.cleanup();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  await inProcess(rows);
  try {
    await overHttps(rows);
  } catch (err) {
    // Say so loudly rather than report nothing: the in-process figures still stand.
    console.error(`HTTPS figures skipped: the server could not be driven: ${(err as Error).message.split('\n')[0]}`);
  }
  report('patch', rows);
}

await main();
