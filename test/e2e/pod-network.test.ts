// Pods on two nodes reach each other by pod IP, in host-gw and in vxlan mode, each node in
// its own network namespace (netns-cluster.ts). The server pod answers with the client
// address it saw, so the test also shows that pod → pod traffic across nodes is not
// masqueraded. Then a node leaves the cluster (agent stopped, Node deleted) and the other
// node's route (and, for vxlan, its FDB and neighbour entries) goes with it. Last, with
// skiff stopped, `skiff cleanup` in each node's namespace leaves no rule, route, link,
// container or pod network namespace behind, and a second run finds nothing to remove.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster, type NetnsNode } from '../helpers/netns-cluster.js';
import { mountsUnder, podProcesses } from '../../src/kubelet/host-cleanup.js';
import { SKIFF_BIN } from '../helpers/server.js';
import { eventually, waitFor } from '../helpers/wait.js';

// busybox httpd with a CGI script that prints the client's address.
const ECHO_SOURCE = [
  'mkdir -p /tmp/www/cgi-bin',
  "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /tmp/www/cgi-bin/ip",
  'chmod +x /tmp/www/cgi-bin/ip',
  'exec httpd -f -p 8080 -h /tmp/www',
].join(' && ');

function echoPod(name: string, nodeName: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'echo' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'skiff.local/busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', ECHO_SOURCE] }],
    },
  };
}

async function json<T>(c: NetnsCluster, args: string[]): Promise<T> {
  const r = await c.kubectl([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

async function ownRoutes(n: NetnsNode): Promise<string> {
  const r = await n.exec(['ip', '-4', 'route', 'show', 'proto', '83']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Everything of Skiff's that `skiff cleanup` must remove, as the node's namespace shows it. */
async function leftovers(n: NetnsNode): Promise<string[]> {
  const found: string[] = [];
  const iptables = (await n.exec(['iptables-save'])).stdout;
  for (const l of iptables.split('\n')) if (/KUBE-|SKIFF-|CNI-/.test(l)) found.push(`iptables: ${l}`);
  const nft = (await n.exec(['nft', 'list', 'ruleset'])).stdout;
  if (/table \S+ skiff/.test(nft)) found.push('nft table skiff');
  const links = (await n.exec(['ip', '-o', 'link', 'show'])).stdout;
  for (const l of links.split('\n')) if (l.includes(n.bridge) || /veth/.test(l)) found.push(`link: ${l.slice(0, 80)}`);
  const routes = (await n.exec(['ip', 'route', 'show'])).stdout;
  for (const l of routes.split('\n')) if (/proto 83|dev sk/.test(l)) found.push(`route: ${l}`);
  for (const m of mountsUnder(n.dataDir)) if (m.fstype === 'nsfs') found.push(`pod netns ${m.path}`);
  if (podProcesses(`${n.dataDir}/agent/containerd`).length) found.push('container processes');
  return found;
}

async function podsReachEachOther(t: TestContext, mode: 'host-gw' | 'vxlan'): Promise<void> {
  const why = netnsClusterMissing();
  if (why) return void t.skip(why);
  const c = await startNetnsCluster({ agents: 1, podNetwork: mode, proxy: false });
  t.after(() => c.cleanup());
  const [n0, n1] = c.nodes as [NetnsNode, NetnsNode];
  for (const [name, node] of [
    ['echo-0', n0],
    ['echo-1', n1],
  ] as const) {
    const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(echoPod(name, node.name)) });
    assert.equal(r.code, 0, r.stderr);
  }
  const pods = await waitFor(
    'both echo pods Running with pod IPs',
    120_000,
    async () => {
      const ps = (await json<{ items: Pod[] }>(c, ['get', 'pods', '-l', 'app=echo'])).items.filter((p) => p.status?.phase === 'Running' && p.status.podIP);
      return ps.length === 2 ? new Map(ps.map((p) => [p.metadata!.name!, p.status!.podIP!])) : undefined;
    },
    c.logs,
    500,
  );
  const ip0 = pods.get('echo-0')!;
  const ip1 = pods.get('echo-1')!;

  // Each node routes the other's pod CIDR the way the mode says.
  const nodes = (await json<{ items: Node[] }>(c, ['get', 'nodes'])).items;
  const cidr = (n: NetnsNode) => nodes.find((x) => x.metadata!.name === n.name)!.spec!.podCIDR!;
  const viaN1 = await ownRoutes(n0);
  if (mode === 'host-gw') assert.match(viaN1, new RegExp(`^${cidr(n1).replace(/\./g, '\\.')} via ${n1.ip.replace(/\./g, '\\.')} dev eth0`));
  else {
    assert.match(viaN1, new RegExp(`^${cidr(n1).replace(/\./g, '\\.')} via \\S+ dev ${n0.bridge}\\.vx .*onlink`));
    const mac1 = nodes.find((x) => x.metadata!.name === n1.name)!.metadata!.annotations!['skiff.io/vxlan-mac'];
    assert.ok(mac1, 'node 1 publishes its VTEP MAC');
    const fdb = await n0.exec(['bridge', 'fdb', 'show', 'dev', `${n0.bridge}.vx`]);
    assert.match(fdb.stdout, new RegExp(`${mac1} dst ${n1.ip.replace(/\./g, '\\.')} self permanent`));
  }
  for (const n of nodes) {
    const cond = n.status?.conditions?.find((x) => x.type === 'NetworkUnavailable');
    assert.deepEqual([cond?.status, cond?.reason], ['False', 'RouteCreated'], `${n.metadata!.name}: NetworkUnavailable`);
  }

  // Both ways, by pod IP; the answer is the client address the server saw: the client's own pod IP.
  for (const [from, fromIP, toIP] of [
    ['echo-0', ip0, ip1],
    ['echo-1', ip1, ip0],
  ] as const) {
    const seen = await eventually(
      `${from} reaching ${toIP}`,
      20_000,
      async () => {
        // Bounded by busybox `timeout`: busybox-static's wget dies with SIGSEGV when given -T.
        const r = await c.kubectl(['exec', from, '--', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${toIP}:8080/cgi-bin/ip`]);
        // busybox httpd listens on IPv6 and prints IPv4 clients as [::ffff:a.b.c.d].
        return r.code === 0 ? r.stdout.trim().replace(/^\[::ffff:(.*)\]$/, '$1') : undefined;
      },
      c.logs,
      500,
    );
    assert.equal(seen, fromIP, `${from} → ${toIP}: the server saw ${seen}, not the client's pod IP (masqueraded?)`);
  }

  // Node 1 leaves: its agent stops and its Node is deleted; node 0 drops what led to it.
  await c.agents[0]!.agent.stop();
  const del = await c.kubectl(['delete', 'node', n1.name, '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
  assert.equal(del.code, 0, del.stderr);
  await waitFor(`node 0's route to ${cidr(n1)} removed`, 20_000, async () => ((await ownRoutes(n0)) === '' ? true : undefined), c.logs, 300);
  if (mode === 'vxlan') {
    const fdb = await n0.exec(['bridge', 'fdb', 'show', 'dev', `${n0.bridge}.vx`]);
    assert.equal(fdb.stdout.trim(), '', 'FDB entries of the removed node gone');
    const neigh = await n0.exec(['ip', 'neigh', 'show', 'dev', `${n0.bridge}.vx`]);
    assert.equal(neigh.stdout.trim(), '', 'neighbour entries of the removed node gone');
  }

  // skiff stopped (its containers keep running), then `skiff cleanup` in each node's namespace.
  await c.server.real.stop();
  for (const n of [n0, n1]) {
    assert.notDeepEqual(await leftovers(n), [], `${n.name} has Skiff state before cleanup`);
    const r = await n.exec([process.execPath, SKIFF_BIN, 'cleanup', '--data-dir', n.dataDir, '--cni-bridge', n.bridge], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `skiff cleanup on ${n.name}: ${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /removed /);
    assert.deepEqual(await leftovers(n), [], `${n.name}: nothing of Skiff's left after cleanup`);
    const again = await n.exec([process.execPath, SKIFF_BIN, 'cleanup', '--data-dir', n.dataDir, '--cni-bridge', n.bridge], { timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'nothing to remove');
  }
}

test(
  'pod network host-gw: pods on two nodes reach each other by pod IP; a removed node takes its route; skiff cleanup leaves nothing',
  { timeout: 300_000 },
  (t) => podsReachEachOther(t, 'host-gw'),
);

test(
  'pod network vxlan: pods on two nodes reach each other by pod IP over VXLAN; a removed node takes its route and FDB entries; skiff cleanup leaves nothing',
  { timeout: 300_000 },
  (t) => podsReachEachOther(t, 'vxlan'),
);
