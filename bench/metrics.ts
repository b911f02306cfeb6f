// bench/metrics: the resource metrics pipeline at the scale — 100 simulated nodes
// running 3,000 pods whose usage comes from annotations. Figures: one full scrape cycle of
// the built-in metrics server (every node's /metrics/resource written, parsed and turned
// into rates), the metrics.k8s.io list that `kubectl top pods -A` makes, over HTTPS, and
// the real `kubectl top pods -A` end to end (process start included). All in one process
// with a real apiserver on loopback, as `skiff server --simulated-nodes 100` runs it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../src/api/builtin.js';
import { ApiServer } from '../src/apiserver/apiserver.js';
import { nodeUser } from '../src/apiserver/auth/node-user.js';
import { Client } from '../src/client/client.js';
import { startInProcessAgents } from '../src/kubelet/in-process.js';
import { combinedSource, httpsSource, startMetricsServer } from '../src/metrics/index.js';
import { MemoryStore } from '../src/storage/memory.js';
import type { Logger } from '../src/util/log.js';
import { ensurePki, writeKubeconfig } from '../src/util/pki.js';
import { report, summarize, type Row } from './lib/report.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const NODES = Number(process.env.METRICS_BENCH_NODES ?? 100);
const PODS = Number(process.env.METRICS_BENCH_PODS ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makePod(i: number): Pod {
  return {
    metadata: {
      name: `load-${i}`,
      namespace: `ns-${i % 10}`,
      labels: { app: `app-${i % 50}` },
      annotations: { 'simulation.skiff.io/cpu': `${50 + (i % 20) * 10}m`, 'simulation.skiff.io/memory': `${16 + (i % 8) * 8}Mi` },
    },
    spec: { nodeName: `sim-node-${i % NODES}`, containers: [{ name: 'app', image: 'busybox' }] },
  };
}

function get(url: string, tls: { cert: string; key: string }): Promise<{ ms: number; bytes: number; items: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    https
      .get(url, { cert: tls.cert, key: tls.key, rejectUnauthorized: false, headers: { Accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode} ${body.slice(0, 200)}`));
          resolve({ ms: performance.now() - t0, bytes: body.length, items: JSON.parse(body).items.length });
        });
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-metrics-'));
  const load = [loadavg()[0]!];
  try {
    const pki = await ensurePki(dir, { ips: ['127.0.0.1'] });
    const api = new ApiServer({
      store: new MemoryStore(),
      registry: builtinRegistry(),
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
      bindAddress: '127.0.0.1',
      port: 0,
    });
    const port = await api.start();
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${port}`, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });
    const client = new Client(api.transport());
    const agents = await startInProcessAgents({ clientFor: (name) => new Client(api.transport(nodeUser(name))), log: quiet, simulatedNodes: NODES });
    // No IPAM controller here: each node gets its pod CIDR by hand.
    for (let i = 0; i < NODES; i++) await client.nodes.patch(`sim-node-${i}`, { spec: { podCIDR: `10.${64 + (i >> 8)}.${i & 255}.0/24` } }, 'merge');
    for (let ns = 0; ns < 10; ns++) await client.namespaces.create({ metadata: { name: `ns-${ns}` } });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < PODS) await client.pods.create(makePod(next++));
      }),
    );
    for (let i = 0; ; i++) {
      const running = (await client.pods.list()).items.filter((p) => p.status?.phase === 'Running').length;
      if (running >= PODS) break;
      if (i > 600) throw new Error(`only ${running} of ${PODS} pods Running after 5 minutes`);
      await sleep(500);
    }
    console.log(`${PODS} pods Running on ${NODES} simulated nodes in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

    const remote = httpsSource({ cert: pki.kubeletClientCert, key: pki.kubeletClientKey });
    const pool = agents.pool!;
    const metrics = await startMetricsServer({
      client: new Client(api.transport(undefined, 'metrics-server')),
      source: combinedSource((name) => pool.resourceMetrics(name), remote),
      resolutionMs: 15_000,
      log: quiet,
      loop: false,
    });
    api.addAggregatedApi(metrics.api);
    // Two cycles before any figure exists (a rate needs two readings).
    await metrics.scraper.scrapeOnce();
    await sleep(200);
    await metrics.scraper.scrapeOnce();
    const cycles: number[] = [];
    const cycleCpu: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      const cpu0 = process.cpuUsage();
      const r = await metrics.scraper.scrapeOnce();
      const cpu = process.cpuUsage(cpu0);
      if (r.failed.length) throw new Error(`nodes failed to answer: ${r.failed.join(', ')}`);
      cycles.push(r.durationMs);
      cycleCpu.push((cpu.user + cpu.system) / 1000);
      load.push(loadavg()[0]!);
    }
    const tls = { cert: pki.adminCert, key: pki.adminKey };
    const listUrl = `https://127.0.0.1:${port}/apis/metrics.k8s.io/v1beta1/pods`;
    const first = await get(listUrl, tls);
    if (first.items !== PODS) throw new Error(`the metrics API lists ${first.items} pods, want ${PODS}`);
    const lists: number[] = [];
    const listCpu: number[] = [];
    for (let i = 0; i < 10; i++) {
      const cpu0 = process.cpuUsage();
      lists.push((await get(listUrl, tls)).ms);
      const cpu = process.cpuUsage(cpu0);
      listCpu.push((cpu.user + cpu.system) / 1000);
    }

    const home = join(dir, 'kubectl-home');
    // Asynchronous: the apiserver answering kubectl lives in this process.
    const kubectl = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: home }, maxBuffer: 64 << 20 }, (err, out, stderr) =>
          err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(out),
        ),
      );
    const rows0 = (await kubectl(['top', 'pods', '-A'])).trim().split('\n').length - 1;
    if (rows0 !== PODS) throw new Error(`kubectl top pods -A printed ${rows0} rows, want ${PODS}`);
    const tops: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await kubectl(['top', 'pods', '-A']);
      tops.push(performance.now() - t);
      load.push(loadavg()[0]!);
    }
    // kubectl's own start-up (reading the kubeconfig, cached discovery), with no metrics call.
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await kubectl(['version', '--client', '-o', 'json']);
      bare.push(performance.now() - t);
    }

    const c = summarize(cycles);
    const cc = summarize(cycleCpu);
    const lc = summarize(listCpu);
    const l = summarize(lists);
    const k = summarize(tops);
    const b = summarize(bare);
    const rows: Row[] = [
      { figure: 'scrape_cycle_p50', value: c.p50, unit: 'ms', target: '≤ 1000 ms', ok: c.p50 <= 1000, note: `${NODES} nodes, ${PODS} pods` },
      { figure: 'scrape_cycle_max', value: c.max, unit: 'ms', target: '≤ 1000 ms', ok: c.max <= 1000 },
      { figure: 'scrape_cycle_cpu_p50', value: cc.p50, unit: 'ms', note: 'CPU time of this process during a cycle' },
      { figure: 'metrics_api_list_pods_p50', value: l.p50, unit: 'ms', note: `HTTPS, ${(first.bytes / 1024).toFixed(0)} KiB JSON` },
      { figure: 'metrics_api_list_pods_cpu_p50', value: lc.p50, unit: 'ms', note: 'CPU time of client and server (same process)' },
      { figure: 'kubectl_top_pods_all_p50', value: k.p50, unit: 'ms', target: '≤ 200 ms', ok: k.p50 <= 200, note: 'real kubectl, process start included' },
      { figure: 'kubectl_top_pods_all_max', value: k.max, unit: 'ms' },
      { figure: 'kubectl_start_p50', value: b.p50, unit: 'ms', note: 'kubectl version --client, for reference' },
      { figure: 'loadavg_1m_max', value: Math.max(...load), unit: 'load' },
    ];
    report('metrics', rows, { nodes: NODES, pods: PODS, loadavg1m: { min: Math.min(...load), max: Math.max(...load) } });
    metrics.stop();
    remote.close();
    agents.stop();
    await api.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
