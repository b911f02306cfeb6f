// The node network driven by real Node objects (a real apiserver over a memory store, the
// in-process client) against a recorded kernel: routes follow nodes coming and going, the
// node publishes its backend and VTEP MAC, and reports NetworkUnavailable=False once its
// routes are in place (True with the kernel's reason when one is refused).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../../src/client/client.js';
import { CniNetwork } from '../../../src/kubelet/network/cni.js';
import type { CommandRunner } from '../../../src/kubelet/network/commands.js';
import { startNodeNetwork, type NodeNetwork } from '../../../src/kubelet/network/node-network.js';
import { vtepMacFor } from '../../../src/kubelet/network/vxlan.js';
import { TestApi } from '../../apiserver/setup.js';
import { quietLog } from '../../controllers/job-harness.js';

/** Just enough of a kernel: proto-83 routes, links by name, the underlay address; every change command recorded. */
function kernel(nodeIP: string) {
  const routes = new Map<string, { dst: string; gateway: string; dev?: string }>();
  const links = new Map<string, object>();
  const log: string[] = [];
  const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
  const run: CommandRunner = async (cmd, args) => {
    const line = `${cmd} ${args.join(' ')}`;
    if (line === 'ip -j -4 addr show') return ok(JSON.stringify([{ ifname: 'eth0', mtu: 1500, addr_info: [{ family: 'inet', local: nodeIP }] }]));
    if (line.startsWith('ip -j -4 addr show dev')) return ok('[]');
    if (line === 'ip -j -4 route show table main') return ok('[]');
    if (line === 'ip -j -4 route show proto 83') return ok(JSON.stringify([...routes.values()]));
    if (line.startsWith('ip -j -d link show dev ')) {
      const l = links.get(args[5]!);
      return l ? ok(JSON.stringify([l])) : { code: 1, stdout: '', stderr: 'Device does not exist' };
    }
    if (line.startsWith('bridge -j fdb show') || line.startsWith('ip -j -4 neigh show')) return ok('[]');
    if (cmd === 'iptables' && (args.includes('-S') || args.includes('-C'))) return { code: 1, stdout: '', stderr: 'No chain' };
    log.push(line);
    if (line.startsWith('ip route replace ')) {
      if (args[4] === '198.18.0.1') return { code: 2, stdout: '', stderr: 'Error: Nexthop has invalid gateway.' };
      routes.set(args[2]!, { dst: args[2]!, gateway: args[4]!, ...(args[5] === 'dev' ? { dev: args[6] } : {}) });
    }
    if (line.startsWith('ip route del ')) routes.delete(args[2]!);
    if (line.startsWith('ip link add ')) {
      const kind = args[args.indexOf('type') + 1];
      links.set(args[2]!, {
        ifname: args[2],
        flags: [],
        linkinfo: { info_kind: kind, info_data: kind === 'vxlan' ? { id: 1, local: nodeIP, port: 8472 } : {} },
      });
    }
    return ok();
  };
  return { run, routes, log };
}

let api: TestApi;
let client: Client;
let dir: string;
before(async () => {
  api = await TestApi.start('memory');
  client = new Client(api.api.transport());
  dir = mkdtempSync(join(tmpdir(), 'skiff-nodenet-'));
});
after(async () => {
  client.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

async function addNode(name: string, podCIDR: string, ip: string, annotations?: Record<string, string>): Promise<void> {
  await client.nodes.create({ metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { podCIDR, podCIDRs: [podCIDR] } });
  await client.nodes.patch(name, { status: { addresses: [{ type: 'InternalIP', address: ip }] } }, 'merge', { subresource: 'status' });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const condition = async (name: string) => (await client.nodes.get(name)).status?.conditions?.find((c) => c.type === 'NetworkUnavailable');

function start(run: CommandRunner, nodeName: string, nodeIP: string, mode: 'host-gw' | 'vxlan'): Promise<NodeNetwork> {
  const cni = new CniNetwork({
    confDir: join(dir, nodeName, 'net.d'),
    ipamDir: join(dir, nodeName, 'ipam'),
    bridge: `br-${nodeName}`,
    ipForwardPath: join(dir, `${nodeName}-fwd`),
  });
  return startNodeNetwork({ client, nodeName, nodeIP, mode, clusterCidr: '10.42.0.0/16', bridge: `br-${nodeName}`, cni, log: quietLog, run, resyncMs: 60_000 });
}

test('host-gw: a route per other node, following nodes added and deleted; NetworkUnavailable False, then True when the kernel refuses one', async () => {
  const k = kernel('192.168.5.10');
  await addNode('hg-a', '10.42.0.0/24', '192.168.5.10');
  const net = await start(k.run, 'hg-a', '192.168.5.10', 'host-gw');
  try {
    await addNode('hg-b', '10.42.1.0/24', '192.168.5.11');
    await until('route to hg-b', async () => (k.routes.get('10.42.1.0/24')?.gateway === '192.168.5.11' ? true : undefined));
    const cond = await until('NetworkUnavailable', () => condition('hg-a'));
    assert.deepEqual([cond.status, cond.reason], ['False', 'RouteCreated']);
    assert.equal((await client.nodes.get('hg-a')).metadata?.annotations?.['skiff.io/pod-network'], 'host-gw');
    assert.ok(
      k.log.some((l) => l.includes('iptables -w -t nat -A SKIFF-POSTROUTING -s 10.42.0.0/24 -d 10.42.0.0/16')),
      'masquerade spares the cluster CIDR',
    );

    await client.nodes.delete('hg-b');
    await until('route to hg-b removed', async () => (k.routes.has('10.42.1.0/24') ? undefined : true));
    assert.ok(k.log.includes('ip route del 10.42.1.0/24 proto 83'));

    await addNode('hg-far', '10.42.9.0/24', '198.18.0.1');
    const bad = await until('NetworkUnavailable True', async () => {
      const c = await condition('hg-a');
      return c?.status === 'True' ? c : undefined;
    });
    assert.equal(bad.reason, 'NoRouteCreated');
    assert.match(bad.message!, /Nexthop has invalid gateway.*|host-gw needs every node on one link/);
    await client.nodes.delete('hg-far');
    await until('NetworkUnavailable False again', async () => ((await condition('hg-a'))?.status === 'False' ? true : undefined));
  } finally {
    net.stop();
  }
});

test('vxlan: the node publishes its VTEP MAC; a peer that publishes its own gets FDB, neighbour and an onlink route over the device', async () => {
  const k = kernel('192.168.6.10');
  await addNode('vx-a', '10.42.20.0/24', '192.168.6.10');
  const net = await start(k.run, 'vx-a', '192.168.6.10', 'vxlan');
  try {
    await until('VTEP MAC published', async () => ((await client.nodes.get('vx-a')).metadata?.annotations?.['skiff.io/vxlan-mac'] ? true : undefined));
    assert.ok(k.log.some((l) => l.startsWith('ip link add br-vx-a.vx type vxlan id 1 local 192.168.6.10 dev eth0 dstport 8472 nolearning')));
    assert.ok(k.log.includes('ip link set dev br-vx-a.vx mtu 1450'));
    assert.ok(k.log.includes('ip addr replace 10.42.20.0/32 dev br-vx-a.vx'));
    const mac = vtepMacFor('vx-b');
    await addNode('vx-b', '10.42.21.0/24', '192.168.6.11', { 'skiff.io/vxlan-mac': mac });
    await until('route over the device', async () => (k.routes.get('10.42.21.0/24')?.dev === 'br-vx-a.vx' ? true : undefined));
    assert.ok(k.log.includes(`bridge fdb replace ${mac} dev br-vx-a.vx dst 192.168.6.11 self permanent`));
    assert.ok(k.log.includes(`ip neigh replace 10.42.21.0 lladdr ${mac} dev br-vx-a.vx nud permanent`));
    assert.ok(k.log.includes('ip route replace 10.42.21.0/24 via 10.42.21.0 dev br-vx-a.vx onlink proto 83'));
  } finally {
    net.stop();
  }
});
