// Pod startup on a real node: `skiff server` with its supervised containerd and CNI bridge,
// 100 pods (busybox, image present) created at 10/s; latency from the create request to
// the pod's Running phase as seen on a watch. Then, with 50 pods running, the server's
// resident memory (apiserver, controllers and the node agent share the process) and its
// CPU use while idle. Needs root, containerd, runc and the CNI plugins.
//
// In the same run, before Skiff's pods, the runtime's own floor: the same number of pods at
// the same rate started through Skiff's CRI client straight on the node's containerd
// (lib/cri-floor.ts); and after them, where Skiff's time went, span by span, from the node
// agent's start marks (lib/pod-start-phases.ts). POD_STARTUP_LATENCY_ONLY=1 stops after the
// latency figures (no memory or `skiff agent` measurement).
import https from 'node:https';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { removeSandboxes } from '../test/helpers/pod-teardown.js';
import { realNodeMissing, startRealNode } from '../test/helpers/real-node.js';
import { SKIFF_BIN } from '../test/helpers/server.js';
import { CriRuntime } from '../src/kubelet/runtime/cri/cri-runtime.js';
import { LoadClient } from './lib/http.js';
import { report, summarize, type Row } from './lib/report.js';
import { removeFloorSandboxes, runCriFloor } from './lib/cri-floor.js';
import { agentMarks, phaseRows, printPhases } from './lib/pod-start-phases.js';

const TOTAL = Number(process.env.POD_STARTUP_PODS ?? 100);
const RATE = Number(process.env.POD_STARTUP_RATE ?? 10);
const KEEP = Math.min(50, TOTAL);
const LATENCY_ONLY = process.env.POD_STARTUP_LATENCY_ONLY === '1';
const AGENT_SETTLE_S = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const why = realNodeMissing();
if (why) {
  console.log(`pod-startup: skipped: ${why}`);
  process.exit(0);
}

const pod = (i: number, nodeName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `ps-${i}`, namespace: 'default', labels: { bench: 'pod-startup' } },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'c', image: 'skiff.local/busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
  },
});

/** Pod watch events as they arrive: name → first time seen bound to a node, and Running (ms since the epoch). */
function watchRunning(kubeconfig: string, runningAt: Map<string, number>, boundAt: Map<string, number>): () => void {
  const { options } = loadKubeconfig(kubeconfig);
  const url = new URL('/api/v1/namespaces/default/pods?watch=true&labelSelector=bench%3Dpod-startup', options.server);
  const req = https.get(url, { ca: options.ca, cert: options.cert, key: options.key }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as { type: string; object: Pod };
        const name = ev.object.metadata?.name ?? '';
        const now = Date.now();
        if (ev.object.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, now);
        if (ev.object.status?.phase === 'Running' && !runningAt.has(name)) runningAt.set(name, now);
      }
    });
  });
  req.on('error', () => {});
  return () => req.destroy();
}

/** CPU seconds a process and its waited-for children (CNI plugins, runc) have used. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}

function procStat(pid: number): { rssMiB: number; cpuTicks: number } {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMiB: rss, cpuTicks: Number(f[11]) + Number(f[12]) };
}

const node = await startRealNode();
const client = LoadClient.fromKubeconfig(node.kubeconfig, 16);
const createdAt = new Map<string, number>();
const runningAt = new Map<string, number>();
const boundAt = new Map<string, number>();
let stopWatch = () => {};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
try {
  const loadBefore = load();
  const serverPid = node.proc.pid!;
  const ctrdPidOf = () => Number(readFileSync(`/proc/${serverPid}/task/${serverPid}/children`, 'utf8').trim().split(/\s+/)[0] ?? 0);
  const cpu = () => ({ server: cpuSeconds(serverPid), containerd: cpuSeconds(ctrdPidOf()) });
  // The runtime's floor first, on the same containerd and CNI network, then cleared away.
  const cri = await node.cri();
  let floor: Awaited<ReturnType<typeof runCriFloor>>;
  let floorCpu: { server: number; containerd: number };
  try {
    const c0 = cpu();
    floor = await runCriFloor(cri, { total: TOTAL, rate: RATE, podLogsDir: join(node.dataDir, 'floor-logs'), resolvConf: join(node.dataDir, 'resolv.conf') });
    const c1 = cpu();
    floorCpu = { server: c1.server - c0.server, containerd: c1.containerd - c0.containerd };
    await removeFloorSandboxes(cri);
  } finally {
    await cri.close();
  }
  const f = summarize(floor.latencies);
  const fs = summarize(floor.sandbox);
  const fc = summarize(floor.create);
  const ft = summarize(floor.start);
  console.log(
    `raw CRI floor: ${floor.latencies.length}/${TOTAL} started; p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms ` +
      `(RunPodSandbox p50/p99 ${fs.p50.toFixed(0)}/${fs.p99.toFixed(0)}, CreateContainer ${fc.p50.toFixed(0)}/${fc.p99.toFixed(0)}, StartContainer ${ft.p50.toFixed(0)}/${ft.p99.toFixed(0)} ms)`,
  );
  if (floor.errors.length) console.log(`raw CRI floor errors: ${[...new Set(floor.errors)].slice(0, 3).join('; ')}`);
  await sleep(2000);

  stopWatch = watchRunning(node.kubeconfig, runningAt, boundAt);
  await sleep(500);
  const skiffCpu0 = cpu();
  const t0 = performance.now();
  const creates: Promise<void>[] = [];
  for (let i = 0; i < TOTAL; i++) {
    // Paced against the start time, so a slow create does not slow the rate.
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const p = pod(i);
    createdAt.set(p.metadata!.name!, Date.now());
    creates.push(
      client.request('POST', '/api/v1/namespaces/default/pods', JSON.stringify(p)).then((r) => {
        if (r.status !== 201) throw new Error(`create ${p.metadata!.name}: ${r.status} ${r.body.slice(0, 200)}`);
      }),
    );
  }
  await Promise.all(creates);
  const deadline = Date.now() + 180_000;
  while (runningAt.size < TOTAL && Date.now() < deadline) await sleep(100);
  const lat = [...createdAt].filter(([n]) => runningAt.has(n)).map(([n, t]) => runningAt.get(n)! - t);
  const s = summarize(lat);
  const loadAfter = load();
  const skiffCpu1 = cpu();
  console.log(
    `CPU seconds during the burst (containerd includes its CNI plugins and runc): raw CRI floor: server ${floorCpu.server.toFixed(1)}, containerd ${floorCpu.containerd.toFixed(1)}; ` +
      `Skiff: server ${(skiffCpu1.server - skiffCpu0.server).toFixed(1)}, containerd ${(skiffCpu1.containerd - skiffCpu0.containerd).toFixed(1)}`,
  );
  console.log(`${runningAt.size}/${TOTAL} pods Running; create→Running p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`);
  await sleep(1000);
  const marks = agentMarks(node.logs(), 'default');
  printPhases(phaseRows({ created: createdAt, bound: boundAt, running: runningAt }, marks));
  console.log(`\n(agent marks for ${marks.size} pods; load average before ${loadBefore}, after ${loadAfter})`);
  console.log(
    `Skiff vs raw CRI floor: p50 ${s.p50.toFixed(0)} / ${f.p50.toFixed(0)} ms = ${(s.p50 / f.p50).toFixed(2)}×, p99 ${s.p99.toFixed(0)} / ${f.p99.toFixed(0)} ms = ${(s.p99 / f.p99).toFixed(2)}×`,
  );
  const latencyRows: Row[] = [
    { figure: 'PodStartupP50', value: s.p50, unit: 'ms', target: '≤ 500', ok: s.p50 <= 500, note: `${TOTAL} pods at ${RATE}/s` },
    { figure: 'PodStartupP99', value: s.p99, unit: 'ms', target: '≤ 1500', ok: s.p99 <= 1500, note: 'Kubernetes SLO p99 ≤ 5 s' },
    { figure: 'PodsRunning', value: runningAt.size, unit: 'pods', target: `${TOTAL}`, ok: runningAt.size === TOTAL },
    { figure: 'CriFloorP50', value: f.p50, unit: 'ms', note: 'RunPodSandbox+CreateContainer+StartContainer, same run' },
    { figure: 'CriFloorP99', value: f.p99, unit: 'ms' },
    { figure: 'P99VsFloor', value: s.p99 / f.p99, unit: 'x', target: '≤ 1.2', ok: s.p99 / f.p99 <= 1.2 },
    { figure: 'P50VsFloor', value: s.p50 / f.p50, unit: 'x' },
  ];
  const extra = { loadBefore, loadAfter };
  if (LATENCY_ONLY) {
    report('pod-startup', latencyRows, extra);
  } else {
    // Down to KEEP running pods, then measure memory and idle CPU.
    await Promise.all(Array.from({ length: TOTAL - KEEP }, (_, j) => client.request('DELETE', `/api/v1/namespaces/default/pods/ps-${KEEP + j}`)));
    const until2 = Date.now() + 120_000;
    while (Date.now() < until2) {
      const r = await client.request('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dpod-startup');
      if ((JSON.parse(r.body) as { items: Pod[] }).items.length === KEEP) break;
      await sleep(250);
    }
    await sleep(5000);
    const pid = node.proc.pid!;
    const before = procStat(pid);
    const IDLE_S = 10;
    await sleep(IDLE_S * 1000);
    const afterStat = procStat(pid);
    const hz = 100; // USER_HZ on Linux
    const idleCpuPct = ((afterStat.cpuTicks - before.cpuTicks) / hz / IDLE_S) * 100;
    const ctrdPid = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0] ?? 0);
    const ctrdRss = ctrdPid ? procStat(ctrdPid).rssMiB : NaN;
    console.log(
      `with ${KEEP} pods running: server RSS ${afterStat.rssMiB.toFixed(0)} MiB, containerd RSS ${ctrdRss.toFixed(0)} MiB, server idle CPU ${idleCpuPct.toFixed(2)} % of one core`,
    );

    // A node agent in a process of its own (`skiff agent`, its own containerd and bridge),
    // joined over HTTPS like a second machine's: its memory with KEEP pods running.
    const agentRss = await measureAgent(node.dataDir, node.kubeconfig, client);
    console.log(`skiff agent with ${KEEP} pods running: RSS ${agentRss.toFixed(0)} MiB`);

    const rows: Row[] = [
      ...latencyRows,
      {
        figure: 'AgentRSSWith50Pods',
        value: agentRss,
        unit: 'MiB',
        target: '≤ 80',
        ok: agentRss <= 80,
        note: '`skiff agent` process, containerd and shims not counted',
      },
      { figure: 'ServerRSSWith50Pods', value: afterStat.rssMiB, unit: 'MiB', note: 'whole all-in-one server (apiserver + controllers + agent)' },
      { figure: 'ContainerdRSSWith50Pods', value: ctrdRss, unit: 'MiB', note: 'supervised containerd, shims not counted' },
      { figure: 'ServerIdleCPUWith50Pods', value: idleCpuPct, unit: '%core', target: '≤ 2', ok: idleCpuPct <= 2, note: `over ${IDLE_S} s` },
    ];
    report('pod-startup', rows, extra);
  }
} finally {
  stopWatch();
  await Promise.all([...createdAt.keys()].map((n) => client.request('DELETE', `/api/v1/namespaces/default/pods/${n}`).catch(() => undefined)));
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const r = await client.request('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dpod-startup').catch(() => undefined);
    if (!r || (JSON.parse(r.body) as { items: Pod[] }).items.length === 0) break;
    await sleep(500);
  }
  client.close();
  await node.cleanup();
}

/** Starts `skiff agent` beside the server, runs KEEP pods on it, and returns its RSS in MiB. */
async function measureAgent(serverDir: string, kubeconfig: string, client: LoadClient): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-agent-'));
  const { options } = loadKubeconfig(kubeconfig);
  const token = readFileSync(join(serverDir, 'token'), 'utf8').trim();
  const name = `bench-agent-${process.pid}`;
  const bridge = `skb${process.pid % 100000}`;
  // Its own claim on the host's pod networks, beside its server's and any other Skiff's here:
  // 10.200-239 (the server's is in 10.160-199), not the default 10.42 another Skiff may hold.
  const clusterCidr = `10.${200 + Math.floor(Math.random() * 40)}.0.0/16`;
  const agent: ChildProcess = spawn(
    process.execPath,
    [
      SKIFF_BIN,
      'agent',
      '--server',
      options.server,
      '--token',
      token,
      '--data-dir',
      dir,
      '--node-name',
      name,
      '--node-ip',
      '127.0.0.1',
      '--runtime',
      'cri',
      '--cni-bridge',
      bridge,
      '--cluster-cidr',
      clusterCidr,
      '--kubelet-port',
      '0',
      '--disable-proxy',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  agent.stdout!.on('data', (d) => (log += d));
  agent.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
  const names = Array.from({ length: KEEP }, (_, i) => `ps-agent-${i}`);
  try {
    const ready = Date.now() + 60_000;
    while (!/skiff agent ready/.test(log) && Date.now() < ready) await sleep(200);
    if (!/skiff agent ready/.test(log)) throw new Error(`skiff agent did not start:\n${log}`);
    // Bound to the agent's node directly: this measures the agent, not the scheduler.
    await Promise.all(
      names.map((n, i) => {
        const p = pod(i, name);
        p.metadata = { ...p.metadata, name: n, labels: { bench: 'pod-startup-agent' } };
        return client.request('POST', '/api/v1/namespaces/default/pods', JSON.stringify(p));
      }),
    );
    const deadline = Date.now() + 180_000;
    for (;;) {
      const r = await client.request('GET', `/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D${name}`);
      const items = (JSON.parse(r.body) as { items: Pod[] }).items;
      if (items.filter((p) => p.status?.phase === 'Running').length === KEEP) break;
      if (Date.now() > deadline) throw new Error(`agent pods not Running in time:\n${log.slice(-4000)}`);
      await sleep(500);
    }
    // Steady state, as a node agent spends its life: V8 gives back the heap the burst of
    // starts grew once allocation has been quiet for a while.
    await sleep(AGENT_SETTLE_S * 1000);
    return procStat(agent.pid!).rssMiB;
  } finally {
    await Promise.all(names.map((n) => client.request('DELETE', `/api/v1/namespaces/default/pods/${n}`).catch(() => undefined)));
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      const r = await client.request('GET', `/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D${name}`).catch(() => undefined);
      if (!r || (JSON.parse(r.body) as { items: Pod[] }).items.length === 0) break;
      await sleep(500);
    }
    // Pods deleted with no grace leave the API at once; their sandboxes go when the agent
    // has torn them down, which it must finish before it stops (else their containers live on).
    await removeSandboxesOf(join(dir, 'agent', 'containerd', 'containerd.sock'));
    agent.kill('SIGTERM');
    await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(20_000)]);
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    await client.request('DELETE', `/api/v1/nodes/${name}`).catch(() => undefined);
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const mnt = line.split(' ')[4];
      if (mnt?.startsWith(dir)) spawnSync('umount', ['-l', mnt], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function removeSandboxesOf(socket: string): Promise<void> {
  const cri = await CriRuntime.connect({ endpoint: `unix://${socket}`, waitMs: 5000 }).catch(() => undefined);
  if (!cri) return;
  try {
    const end = Date.now() + 60_000;
    while ((await cri.listPodSandbox()).length > 0 && Date.now() < end) await sleep(500);
  } finally {
    await cri.close();
  }
  await removeSandboxes(socket);
}
