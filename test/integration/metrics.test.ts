// Resource metrics end to end with the real kubectl: simulated pods whose usage is set by
// annotations show in `kubectl top`, follow a change after a scrape, per container and
// sorted; the host agent's /stats/summary and /metrics/resource through nodes/proxy; and a
// joined agent that stops answering is left out (stale) while the other nodes go on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SKIFF_BIN, startServer, type TestServer, kubectlOk } from '../helpers/server.js';
import { eventually as waitEventually } from '../helpers/wait.js';

let s: TestServer;

before(async () => {
  s = await startServer({ agent: true, args: ['--simulated-nodes', '2', '--metrics-resolution', '1s', '--node-name', 'host-node'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);
const eventually = <T>(what: string, ms: number, fn: () => Promise<T | undefined>) => waitEventually(what, ms, fn, () => s.logs(), 250);

function pod(
  name: string,
  node: string,
  annotations: Record<string, string>,
  containers = ['c'],
  labels: Record<string, string> = {},
  namespace = 'default',
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations, labels },
    spec: { nodeName: node, containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  });
}

/** `kubectl top` rows as arrays of columns, header left out. */
async function top(args: string[]): Promise<string[][]> {
  const out = await ok(['top', ...args]);
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
}

test('kubectl top pods shows the usage set by annotations, and a changed annotation after the next scrape', async () => {
  await ok(['apply', '-f', '-'], pod('web', 'sim-node-0', { 'simulation.skiff.io/cpu': '250m', 'simulation.skiff.io/memory': '64Mi' }, ['c'], { app: 'web' }));
  const rows = await eventually('web in kubectl top pods', 20_000, async () => {
    const r = await top(['pods']);
    return r.some((x) => x[0] === 'web') ? r : undefined;
  });
  assert.deepEqual(
    rows.find((x) => x[0] === 'web'),
    ['web', '250m', '64Mi'],
  );
  await ok(['annotate', 'pod', 'web', '--overwrite', 'simulation.skiff.io/cpu=1500m', 'simulation.skiff.io/memory=200Mi']);
  await eventually('web at 1500m / 200Mi', 10_000, async () => {
    const r = await top(['pod', 'web']);
    return r[0]?.[1] === '1500m' && r[0]?.[2] === '200Mi' ? true : undefined;
  });
  // The node's figure is the sum of its pods.
  const nodeRow = await eventually('sim-node-0 at 1500m', 10_000, async () => {
    const r = await top(['node', 'sim-node-0']);
    return r[0]?.[1] === '1500m' ? r[0] : undefined;
  });
  // 1500m of 8 cores; 200Mi of 32Gi.
  assert.deepEqual(nodeRow.slice(2), ['18%', '200Mi', '0%']);
  // A label selector narrows the list; a pod without figures is a NotFound in metrics-server's words.
  assert.deepEqual(
    (await top(['pods', '-l', 'app=web'])).map((r) => r[0]),
    ['web'],
  );
  const missing = await s.kubectl(['top', 'pod', 'nosuch']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /podmetrics\.metrics\.k8s\.io "default\/nosuch" not found/);
});

test('kubectl top pods -A --containers --sort-by=cpu: per-container annotations, split evenly otherwise, sorted', async () => {
  await ok(['create', 'namespace', 'other']);
  await ok(
    ['apply', '-f', '-'],
    pod(
      'two',
      'sim-node-1',
      { 'simulation.skiff.io/cpu.a': '700m', 'simulation.skiff.io/cpu.b': '100m', 'simulation.skiff.io/memory': '100Mi' },
      ['a', 'b'],
      {},
      'other',
    ),
  );
  await ok(['apply', '-f', '-'], pod('even', 'sim-node-1', { 'simulation.skiff.io/cpu': '400m', 'simulation.skiff.io/memory': '32Mi' }, ['x', 'y']));
  const rows = await eventually('both pods in top -A --containers', 20_000, async () => {
    const r = await top(['pods', '-A', '--containers', '--sort-by=cpu']);
    return r.some((x) => x[1] === 'two') && r.some((x) => x[1] === 'even') ? r : undefined;
  });
  const mine = rows.filter((r) => r[1] === 'two' || r[1] === 'even').map((r) => r.join(' '));
  // kubectl sorts pods by their total (two: 800m, even: 400m) and keeps each pod's containers together.
  assert.deepEqual(mine, ['other two a 700m 50Mi', 'other two b 100m 50Mi', 'default even x 200m 16Mi', 'default even y 200m 16Mi']);
  const totals: number[] = [];
  let last = '';
  for (const r of rows) {
    const key = `${r[0]}/${r[1]}`;
    if (key !== last) totals.push(0);
    last = key;
    totals[totals.length - 1]! += Number(r[3]!.replace(/m$/, ''));
  }
  assert.deepEqual(
    totals,
    [...totals].sort((a, b) => b - a),
    'pods sorted by CPU, highest first',
  );
});

test('the metrics API is in discovery, and the host agent serves /stats/summary and /metrics/resource', async () => {
  const groups = JSON.parse(await ok(['get', '--raw', '/apis']));
  assert.ok(groups.groups.some((g: { name: string }) => g.name === 'metrics.k8s.io'));
  const rl = JSON.parse(await ok(['get', '--raw', '/apis/metrics.k8s.io/v1beta1']));
  assert.deepEqual(rl.resources.map((r: { name: string; kind: string }) => `${r.name}:${r.kind}`).sort(), ['nodes:NodeMetrics', 'pods:PodMetrics']);
  const v8 = await s.kubectl(['top', 'nodes', '-v=8']);
  assert.equal(v8.code, 0, v8.stderr);
  assert.match(v8.stderr, /GET https:\/\/\S+\/apis\/metrics\.k8s\.io\/v1beta1\/nodes/);

  await ok(['apply', '-f', '-'], pod('local', 'host-node', { 'simulation.skiff.io/cpu': '300m', 'simulation.skiff.io/memory': '10Mi' }));
  const summary = await eventually('local in /stats/summary', 15_000, async () => {
    const sum = JSON.parse(await ok(['get', '--raw', '/api/v1/nodes/host-node/proxy/stats/summary']));
    return sum.pods.some((p: { podRef: { name: string } }) => p.podRef.name === 'local') ? sum : undefined;
  });
  assert.equal(summary.node.nodeName, 'host-node');
  const local = summary.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'local');
  assert.equal(local.podRef.namespace, 'default');
  assert.equal(local.containers[0].name, 'c');
  assert.equal(local.containers[0].cpu.usageNanoCores, 300_000_000);
  assert.equal(local.containers[0].memory.workingSetBytes, 10 * 1024 * 1024);
  assert.ok(local.containers[0].cpu.usageCoreNanoSeconds >= 0);

  const text = await ok(['get', '--raw', '/api/v1/nodes/host-node/proxy/metrics/resource']);
  assert.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m);
  assert.match(text, /^container_memory_working_set_bytes\{container="c",namespace="default",pod="local"\} 10485760 \d{13}$/m);
  assert.match(text, /^node_cpu_usage_seconds_total [\d.e+-]+ \d{13}$/m);
  assert.match(text, /^pod_memory_working_set_bytes\{namespace="default",pod="local"\} 10485760 \d{13}$/m);
  // Scraped over HTTPS like any agent: it shows in kubectl top too.
  await eventually('local in kubectl top', 15_000, async () => {
    const r = await top(['pod', 'local']);
    return r[0]?.[1] === '300m' ? true : undefined;
  });
});

test('a node agent that stops answering is left out of kubectl top nodes; the others go on', async () => {
  const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
  const agent = spawn(
    process.execPath,
    [
      SKIFF_BIN,
      'agent',
      '--server',
      s.url,
      '--token',
      token,
      '--data-dir',
      join(s.dataDir, 'agent-joined'),
      '--node-name',
      'joined-node',
      '--node-ip',
      '127.0.0.1',
      '--runtime',
      'simulated',
      '--kubelet-port',
      '0',
      '--disable-proxy',
      '--disable-dns',
      '--disable-ingress',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  agent.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  // What the metrics API serves; kubectl top nodes shows a node without figures as <unknown>.
  const served = async () =>
    new Set(JSON.parse(await ok(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'])).items.map((n: { metadata: { name: string } }) => n.metadata.name));
  const nodes = async () => new Map((await top(['nodes'])).map((r) => [r[0]!, r]));
  try {
    await eventually('joined-node in kubectl top nodes', 30_000, async () => ((await nodes()).get('joined-node')?.[1]?.endsWith('m') ? true : undefined)).catch(
      (e) => assert.fail(`${(e as Error).message}\n${err}`),
    );
    // Frozen: its socket accepts but nothing answers, as a hung agent.
    agent.kill('SIGSTOP');
    const t0 = Date.now();
    const without = await eventually('joined-node left out', 10_000, async () => {
      const m = await served();
      return m.has('joined-node') ? undefined : m;
    });
    assert.ok(Date.now() - t0 < 10_000);
    for (const n of ['host-node', 'sim-node-0', 'sim-node-1']) assert.ok(without.has(n), `${n} still served while joined-node hangs`);
    const rows = await nodes();
    assert.deepEqual(rows.get('joined-node')?.slice(1), ['<unknown>', '<unknown>', '<unknown>', '<unknown>']);
    assert.match(rows.get('sim-node-0')?.[1] ?? '', /^\d+m$/);
    // Others keep being scraped: a change on sim-node-0 still shows while the hung agent times out each cycle.
    await ok(['annotate', 'pod', 'web', '--overwrite', 'simulation.skiff.io/cpu=2']);
    await eventually('web at 2000m while joined-node hangs', 10_000, async () => {
      const r = await top(['pod', 'web']);
      return r[0]?.[1] === '2000m' ? true : undefined;
    });
    const nf = await s.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/joined-node']);
    assert.match(nf.stderr, /NotFound|not found/);
    assert.match(s.logs(), /node metrics scrape failed; its figures are left out until it answers.*joined-node/);
    agent.kill('SIGCONT');
    await eventually('joined-node served again', 15_000, async () => ((await served()).has('joined-node') ? true : undefined));
  } finally {
    agent.kill('SIGCONT');
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await s.kubectl(['delete', 'node', 'joined-node', '--wait=false']);
  }
});
