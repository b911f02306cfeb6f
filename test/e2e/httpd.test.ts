// The httpd Deployment in real containers: `skiff server` with its supervised containerd,
// the real kubectl, a CNI bridge of its own. Two busybox httpd pods get pod IPs, a third
// pod fetches the page from one of them, and deleting everything leaves no sandbox, veth,
// IP lease or NAT rule behind. The third pod's wget is bounded by busybox `timeout`
// (wget's own -T is pod-recovery.test.ts's).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { bridgePorts, realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';
import { waitFor as until } from '../helpers/wait.js';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpd}
spec:
  replicas: 2
  selector: {matchLabels: {app: httpd}}
  template:
    metadata: {labels: {app: httpd}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: skiff.local/httpd:1.35
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080}]
`;

const wgetPod = (ip: string) => `
apiVersion: v1
kind: Pod
metadata: {name: wget}
spec:
  restartPolicy: Never
  containers:
  - name: wget
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [timeout, '20', wget, -qO-, 'http://${ip}:8080/']
`;

async function pods(node: RealNode, selector?: string): Promise<Pod[]> {
  const r = await node.kubectl(['get', 'pods', '-o', 'json', ...(selector ? ['-l', selector] : [])]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: Pod[] }).items;
}

/** The CRI log lines (`<time> <stream> <F|P> <text>`) of a container, as text. */
function criLogText(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(3).join(' '))
    .join('\n');
}

test('httpd Deployment runs in real containers and answers on its pod IPs', { timeout: 240_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  try {
    assert.match(node.logs(), /node agent runs pods in real containers/);
    const nodeInfo = JSON.parse((await node.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0];
    assert.match(nodeInfo.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
    assert.ok(nodeInfo.status.capacity['ephemeral-storage'], 'ephemeral-storage capacity is reported');
    assert.equal(nodeInfo.status.capacity.pods, '110');

    const t0 = Date.now();
    const applied = await node.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT });
    assert.equal(applied.code, 0, applied.stderr);
    const running = await until(
      '2 httpd pods Running with pod IPs',
      90_000,
      async () => {
        const ps = (await pods(node, 'app=httpd')).filter((p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp);
        return ps.length === 2 ? ps : undefined;
      },
      node.logs,
    );
    const seconds = (Date.now() - t0) / 1000;
    t.diagnostic(`both httpd pods Running with pod IPs ${seconds.toFixed(2)} s after kubectl apply`);
    const ips = running.map((p) => p.status!.podIP!);
    for (const ip of ips) assert.ok(ip.startsWith(node.podNet), `pod IP ${ip} is in the node's pod CIDR (${node.clusterCidr})`);
    assert.notEqual(ips[0], ips[1]);
    assert.equal(bridgePorts(node.bridge).length, 2, 'one veth per pod on the bridge');

    const created = await node.kubectl(['apply', '-f', '-'], { input: wgetPod(ips[1]!) });
    assert.equal(created.code, 0, created.stderr);
    const done = await until(
      'the wget pod to finish',
      60_000,
      async () => {
        const p = (await pods(node)).find((x) => x.metadata?.name === 'wget');
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      },
      node.logs,
    );
    const m = done.metadata!;
    const logFile = join(node.dataDir, 'agent', 'logs', 'pods', `${m.namespace}_${m.name}_${m.uid}`, 'wget', '0.log');
    assert.ok(existsSync(logFile), `container log at ${logFile}`);
    const page = criLogText(logFile);
    assert.equal(done.status?.phase, 'Succeeded', `wget pod failed; its output:\n${page}`);
    assert.match(page, /It works!/);

    // This run's sandboxes: the CNI rules each one got carry its ID, so the check below cannot
    // mistake another run's leftovers (same random pod CIDR) for this run's.
    const before = await node.cri();
    const sandboxIds = (await before.listPodSandbox().finally(() => before.close())).map((sb) => sb.id);
    assert.ok(sandboxIds.length > 0, 'the pods had sandboxes');
    const del = await node.kubectl(['delete', 'deployment/httpd', 'pod/wget', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    await until('all pods gone from the API', 60_000, async () => ((await pods(node)).length === 0 ? true : undefined), node.logs);
    const cri = await node.cri();
    try {
      const left = await until('no sandbox left in containerd', 30_000, async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), node.logs);
      assert.ok(left);
      assert.deepEqual(await cri.listContainers(), []);
    } finally {
      await cri.close();
    }
    assert.deepEqual(bridgePorts(node.bridge), [], 'no veth left on the bridge');
    const leases = existsSync(node.ipamDir) ? readdirSync(node.ipamDir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
    assert.deepEqual(leases, [], 'no IP lease left');
    const nat = spawnSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(node.podNet) && sandboxIds.some((id) => l.includes(id)));
    assert.deepEqual(nat, [], 'no masquerade rule of a deleted pod left');
  } finally {
    await node.cleanup();
  }
});
