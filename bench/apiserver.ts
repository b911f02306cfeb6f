// bench/apiserver: the API server over HTTPS with keep-alive, SQLite backend, with the
// same create/get loop against a local etcd beside it. Every loop is bounded in count.
import { readFileSync } from 'node:fs';
import { startServer, type TestServer } from '../test/helpers/server.js';
import { etcdAvailable, startEtcd } from './lib/etcd.js';
import { closedLoop, LoadClient, openLoop } from './lib/http.js';
import { report, summarize, type Row } from './lib/report.js';
import { watchFanout } from './lib/watchers.js';
import { rbacOnOff } from './apiserver-rbac.js';

const CREATES = 10_000;
const CONCURRENCY = 32;
const PODS = 10_000;
// The API server on its own: no node agent and no scheduler, which would otherwise write a
// FailedScheduling event and a status for each of the 10,000 node-less pods.
const SERVER_ARGS = ['--disable-scheduler'];

function cm(name: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { key: 'value', other: 'a small configmap' } });
}

function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
    spec: {
      containers: [
        { name: 'app', image: 'registry.local/app:1.0', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } },
      ],
    },
  });
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function createGetLoop(label: string, create: (i: number) => Promise<number>, get: (i: number) => Promise<number>, rows: Row[]): Promise<void> {
  const createLat: number[] = [];
  const ms = await closedLoop(CREATES, CONCURRENCY, async (i) => {
    createLat.push(await create(i));
  });
  const c = summarize(createLat);
  rows.push({
    figure: `${label}_create_throughput`,
    value: (CREATES / ms) * 1000,
    unit: 'per_s',
    target: label === 'skiff' ? '>= 2000' : undefined,
    ok: label === 'skiff' ? (CREATES / ms) * 1000 >= 2000 : undefined,
  });
  rows.push({ figure: `${label}_create_p99_closed_loop`, value: c.p99, unit: 'ms', note: `${CONCURRENCY} in flight` });
  const getLat: number[] = [];
  await closedLoop(5000, 4, async (i) => {
    getLat.push(await get(i % CREATES));
  });
  const g = summarize(getLat);
  rows.push({ figure: `${label}_get_p50`, value: g.p50, unit: 'ms' });
  rows.push({
    figure: `${label}_get_p99`,
    value: g.p99,
    unit: 'ms',
    target: label === 'skiff' ? '<= 5' : undefined,
    ok: label === 'skiff' ? g.p99 <= 5 : undefined,
  });
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  if (process.argv.includes('--rbac-only')) {
    report('apiserver-rbac', await rbacOnOff(process.argv.includes('--control')), {
      notes: 'RBAC on (Node,RBAC) against off (AlwaysAllow) in the same run, as a non-admin certificate user',
    });
    return;
  }
  let s: TestServer | undefined = await startServer({ args: SERVER_ARGS });
  const client = LoadClient.fromKubeconfig(s.kubeconfig, CONCURRENCY);
  try {
    await client.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    const base = '/api/v1/namespaces/bench/configmaps';
    await createGetLoop(
      'skiff',
      async (i) => {
        const r = await client.request('POST', base, cm(`cm-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        return r.ms;
      },
      async (i) => {
        const r = await client.request('GET', `${base}/cm-${i}`);
        if (r.status !== 200) throw new Error(`get failed: ${r.status}`);
        return r.ms;
      },
      rows,
    );

    // Latency at a steady 500 creates/s (open loop: requests are not held back by slow answers).
    const paced: number[] = [];
    await openLoop(2500, 500, async (i) => {
      const r = await client.request('POST', base, cm(`paced-${i}`));
      if (r.status !== 201) throw new Error(`create failed: ${r.status}`);
      paced.push(r.ms);
    });
    const p = summarize(paced);
    rows.push({ figure: 'skiff_create_p99_at_500_per_s', value: p.p99, unit: 'ms', target: '<= 20', ok: p.p99 <= 20 });

    rows.push(...(await watchFanout(s, client)));

    client.close();
    await s.cleanup();

    // The same create/get loop with writes acknowledged before their fsync (the setting before
    // group commit), to show what durability costs on this machine, in the same run.
    s = await startServer({ args: [...SERVER_ARGS, '--unsafe-no-fsync'] });
    const nf = LoadClient.fromKubeconfig(s.kubeconfig, CONCURRENCY);
    await nf.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    await createGetLoop(
      'skiff_no_fsync',
      async (i) => {
        const r = await nf.request('POST', base, cm(`cm-${i}`));
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        return r.ms;
      },
      async (i) => {
        const r = await nf.request('GET', `${base}/cm-${i}`);
        if (r.status !== 200) throw new Error(`get failed: ${r.status}`);
        return r.ms;
      },
      rows,
    );
    nf.close();
    await s.cleanup();

    // 10,000 pods on a fresh server: list from the watch cache, memory, then start-up on that data dir.
    s = await startServer({ args: SERVER_ARGS });
    const pc = LoadClient.fromKubeconfig(s.kubeconfig, CONCURRENCY);
    await pc.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pods' } }));
    await closedLoop(PODS, CONCURRENCY, async (i) => {
      const r = await pc.request('POST', '/api/v1/namespaces/pods/pods', pod(`pod-${i}`));
      if (r.status !== 201) throw new Error(`pod create failed: ${r.status} ${r.body}`);
    });
    const listLat: number[] = [];
    let count = 0;
    for (let i = 0; i < 10; i++) {
      const r = await pc.request('GET', '/api/v1/pods?resourceVersion=0');
      listLat.push(r.ms);
      count = JSON.parse(r.body).items.length;
    }
    const l = summarize(listLat);
    rows.push({ figure: 'skiff_list_10k_pods_rv0_p50', value: l.p50, unit: 'ms', note: `${count} items` });
    rows.push({ figure: 'skiff_list_10k_pods_rv0_max', value: l.max, unit: 'ms', target: '<= 300', ok: l.max <= 300 });
    const rssWriting = rssMB(s.proc.pid!);
    rows.push({ figure: 'skiff_rss_after_creating_10k_pods', value: rssWriting, unit: 'MB', note: 'right after the create burst and 10 lists' });
    pc.close();
    await s.stop();
    const t0 = performance.now();
    s = await startServer({ dataDir: s.dataDir, args: SERVER_ARGS });
    const startup = (performance.now() - t0) / 1000;
    rows.push({ figure: 'skiff_startup_with_10k_pods', value: startup, unit: 's', target: '<= 2', ok: startup <= 2, note: 'process spawn to ready line' });
    const after = LoadClient.fromKubeconfig(s.kubeconfig, 4);
    await after.request('GET', '/api/v1/pods?resourceVersion=0');
    after.close();
    const rss = rssMB(s.proc.pid!);
    rows.push({
      figure: 'skiff_rss_with_10k_pods',
      value: rss,
      unit: 'MB',
      target: '<= 300',
      ok: rss <= 300,
      note: 'restarted on that data dir, after one full list',
    });
  } finally {
    client.close();
    await s?.cleanup();
  }

  if (etcdAvailable()) {
    const etcd = await startEtcd();
    const ec = new LoadClient(etcd.url, undefined, CONCURRENCY);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    try {
      await createGetLoop(
        'etcd',
        async (i) => {
          const key = b64(`/registry/configmaps/bench/cm-${i}`);
          const body = JSON.stringify({
            compare: [{ key, target: 'CREATE', create_revision: '0' }],
            success: [{ request_put: { key, value: b64(cm(`cm-${i}`)) } }],
          });
          const r = await ec.request('POST', '/v3/kv/txn', body);
          if (r.status !== 200 || !JSON.parse(r.body).succeeded) throw new Error(`etcd txn failed: ${r.body}`);
          return r.ms;
        },
        async (i) => {
          const r = await ec.request('POST', '/v3/kv/range', JSON.stringify({ key: b64(`/registry/configmaps/bench/cm-${i}`) }));
          if (r.status !== 200) throw new Error('etcd range failed');
          return r.ms;
        },
        rows,
      );
    } finally {
      ec.close();
      await etcd.stop();
    }
  } else {
    console.log('etcd comparison skipped: the etcd binary is not installed (apt-get install etcd-server)');
  }
  rows.push(...(await rbacOnOff()));
  report('apiserver', rows, {
    notes:
      'skiff: HTTPS+JSON through the whole apiserver; etcd: its JSON gateway (/v3/kv/txn create-if-absent, /v3/kv/range) on loopback; same client, same concurrency',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
