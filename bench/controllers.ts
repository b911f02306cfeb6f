// bench/controllers: the workload controllers at scale on `skiff server --simulated-nodes 100`
// (scheduler and simulated node agents in the server). The controller manager runs in this
// process over HTTPS, as a separate kube-controller-manager would: it takes the
// kube-controller-manager Lease from the server's own, so its CPU seconds are measurable
// apart from the apiserver's. Every loop is bounded in count and time.
import { readFileSync } from 'node:fs';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { builtinRegistry } from '../src/api/builtin.js';
import { Client } from '../src/client/client.js';
import { HttpsTransport } from '../src/client/https-transport.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { microTime } from '../src/util/time.js';
import type { Logger } from '../src/util/log.js';
import { CONTROLLER_MANAGER_LEASE, startLeaderElectedControllers } from '../src/controllers/manager.js';
import { startServer } from '../test/helpers/server.js';
import { report, type Row } from './lib/report.js';

const scale = Number(process.env.CONTROLLER_BENCH_SCALE ?? 1);
const DEPLOYMENTS = Math.max(1, Math.round(1000 * scale));
const REPLICAS = 10;
const BIG = Math.max(10, Math.round(1000 * scale));
const NODES = Math.max(3, Math.round(100 * scale));
const quiet: Logger = { info() {}, warn() {}, error: (m, f) => console.error(m, f), child: () => quiet };

function deployment(name: string, replicas: number, image = 'registry.local/app:1'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'bench' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

const own = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function waitFor(what: string, limitMs: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if (await fn()) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(`gave up waiting for ${what} after ${limitMs / 1000} s`);
  return NaN;
}

const available = (d: Deployment, n: number) =>
  d.status?.availableReplicas === n &&
  d.status.updatedReplicas === n &&
  d.status.replicas === n &&
  (d.status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);

async function main(): Promise<void> {
  const rows: Row[] = [];
  const s = await startServer({ args: ['--simulated-nodes', String(NODES), '--simulated-node-capacity', 'cpu=64,memory=256Gi,pods=250'], timeoutMs: 60_000 });
  const transport = new HttpsTransport({ ...loadKubeconfig(s.kubeconfig).options });
  const client = new Client(transport);
  let manager: ReturnType<typeof startLeaderElectedControllers> | undefined;
  try {
    // Take the lease over from the server's controller manager, and wait until it has stepped down.
    await waitFor('the server lease', 10_000, async () => !!(await client.leases.get(CONTROLLER_MANAGER_LEASE, 'kube-system').catch(() => undefined)));
    const lease = await client.leases.get(CONTROLLER_MANAGER_LEASE, 'kube-system');
    await client.leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: 'bench', renewTime: microTime(Date.now()) } });
    manager = startLeaderElectedControllers(client, builtinRegistry(), quiet, { identity: 'bench' });
    await waitFor('the bench controller manager to lead', 20_000, async () => !!manager!.current());
    await waitFor('the server controller manager to step down', 20_000, async () => /lost the controller manager lease/.test(s.logs()));
    await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

    // 1. Many Deployments.
    const cpu0 = own(),
      srv0 = cpuSeconds(s.proc.pid!);
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < DEPLOYMENTS) await client.deployments.create(deployment(`d-${next++}`, REPLICAS));
      }),
    );
    const createdIn = (Date.now() - t0) / 1000;
    let avail = 0;
    const secs = await waitFor('all Deployments Available', 180_000, async () => {
      const l = await client.deployments.list({ namespace: 'bench' });
      avail = l.items.filter((d) => available(d, REPLICAS)).length;
      return avail === DEPLOYMENTS;
    });
    const total = (Date.now() - t0) / 1000;
    const cmCpu = own() - cpu0,
      srvCpu = cpuSeconds(s.proc.pid!) - srv0;
    const pods = DEPLOYMENTS * REPLICAS;
    console.log(`${DEPLOYMENTS} Deployments × ${REPLICAS} created in ${createdIn.toFixed(1)} s; ${avail} Available after ${total.toFixed(1)} s`);
    rows.push({
      figure: 'deployments_all_available',
      value: Number.isNaN(secs) ? NaN : total,
      unit: 's',
      target: scale === 1 ? '<= 60' : undefined,
      ok: scale === 1 ? total <= 60 : undefined,
      note: `${DEPLOYMENTS}×${REPLICAS} on ${NODES} nodes, from the first create`,
    });
    rows.push({ figure: 'deployments_pods_per_s', value: pods / total, unit: 'pods/s', note: 'created, scheduled, running and available' });
    rows.push({
      figure: 'deployments_controller_manager_cpu',
      value: cmCpu,
      unit: 's',
      note: 'this process: controllers + their HTTPS client (+ the 1,000 creates)',
    });
    rows.push({ figure: 'deployments_server_cpu', value: srvCpu, unit: 's', note: 'apiserver + scheduler + simulated nodes' });

    // 2. One large rolling update.
    await client.deployments.create(deployment('big', BIG));
    const bigReady = await waitFor('big Available', 180_000, async () => available(await client.deployments.get('big', 'bench'), BIG));
    console.log(`big (${BIG} replicas) Available after ${bigReady.toFixed(1)} s`);
    const cpu1 = own(),
      srv1 = cpuSeconds(s.proc.pid!);
    const t1 = Date.now();
    await client.deployments.patch('big', { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/app:2' }] } } } }, 'strategic', {
      namespace: 'bench',
    });
    const rolled = await waitFor('big rolled out', 180_000, async () => {
      const d = await client.deployments.get('big', 'bench');
      return (
        available(d, BIG) &&
        d.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') === true &&
        d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2'
      );
    });
    const rollSecs = (Date.now() - t1) / 1000;
    rows.push({
      figure: 'rolling_update_1000_replicas',
      value: Number.isNaN(rolled) ? NaN : rollSecs,
      unit: 's',
      target: scale === 1 ? '<= 30' : undefined,
      ok: scale === 1 ? rollSecs <= 30 : undefined,
      note: `${BIG} replicas, maxSurge 25 %`,
    });
    rows.push({ figure: 'rolling_update_pods_per_s', value: BIG / rollSecs, unit: 'pods/s', note: 'new pods available per second' });
    rows.push({ figure: 'rolling_update_controller_manager_cpu', value: own() - cpu1, unit: 's' });
    rows.push({ figure: 'rolling_update_server_cpu', value: cpuSeconds(s.proc.pid!) - srv1, unit: 's' });
  } finally {
    await manager?.stop();
    client.close();
    await s.cleanup();
  }
  report('controllers', rows, { scale, nodes: NODES });
}

await main();
