// What the node network wants the kernel to hold for host-gw and vxlan, computed from Node
// objects, and how the apply step turns the difference into ip/bridge commands (recorded,
// against a kernel state the test describes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { CommandRunner } from '../../../src/kubelet/network/commands.js';
import { applyNetwork, desiredNetwork, parsePodNetworkMode, peersOf, vtepIp } from '../../../src/kubelet/network/pod-routes.js';
import { vtepMacFor, vxlanDeviceName } from '../../../src/kubelet/network/vxlan.js';

const node = (name: string, podCIDR?: string, ip?: string, mac?: string, deleting = false): Node => ({
  metadata: { name, ...(mac ? { annotations: { 'skiff.io/vxlan-mac': mac } } : {}), ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: podCIDR ? { podCIDR } : {},
  status: ip
    ? {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
      }
    : {},
});

const nodes = [
  node('a', '10.42.0.0/24', '192.168.5.10'),
  node('b', '10.42.1.0/24', '192.168.5.11', '0a:00:00:00:00:0b'),
  node('c', '10.42.2.0/24', '192.168.5.12'),
  node('no-cidr', undefined, '192.168.5.13'),
  node('no-ip', '10.42.4.0/24'),
  node('going', '10.42.5.0/24', '192.168.5.15', undefined, true),
];

test('peers: the other nodes with a pod CIDR and an InternalIP, not one being deleted', () => {
  assert.deepEqual(
    peersOf(nodes, 'a').map((p) => p.name),
    ['b', 'c'],
  );
  assert.deepEqual(peersOf(nodes, 'a')[0], { name: 'b', podCidr: '10.42.1.0/24', ip: '192.168.5.11', vtepMac: '0a:00:00:00:00:0b' });
});

test('host-gw routes every peer pod CIDR via its InternalIP; vxlan via its VTEP over the device, once its MAC is known', () => {
  const peers = peersOf(nodes, 'a');
  assert.deepEqual(desiredNetwork('host-gw', peers, 'skiff.1'), {
    routes: [
      { dst: '10.42.1.0/24', via: '192.168.5.11' },
      { dst: '10.42.2.0/24', via: '192.168.5.12' },
    ],
    fdb: [],
    waiting: [],
  });
  assert.deepEqual(desiredNetwork('vxlan', peers, 'skiff.1'), {
    routes: [{ dst: '10.42.1.0/24', via: '10.42.1.0', dev: 'skiff.1' }],
    fdb: [{ mac: '0a:00:00:00:00:0b', dst: '192.168.5.11', vtep: '10.42.1.0' }],
    waiting: ['c'],
  });
  assert.deepEqual(desiredNetwork('none', peers, 'skiff.1'), { routes: [], fdb: [], waiting: [] });
});

test('names: VXLAN device beside the bridge, VTEP address and a stable, locally administered MAC', () => {
  assert.equal(vxlanDeviceName('skiff0'), 'skiff.1');
  assert.equal(vxlanDeviceName('sktabcde1'), 'sktabcde1.vx');
  assert.ok(vxlanDeviceName('fifteen-chars-x').length <= 15);
  assert.equal(vtepIp('10.42.7.0/24'), '10.42.7.0');
  const mac = vtepMacFor('node-1');
  assert.equal(mac, vtepMacFor('node-1'));
  assert.notEqual(mac, vtepMacFor('node-2'));
  assert.match(mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered, unicast');
  assert.throws(() => parsePodNetworkMode('flannel'), /--pod-network must be host-gw, vxlan or none/);
});

/** A fake kernel: answers the show commands from `state`, records every change command. */
function fakeKernel(state: { routes: object[]; fdb?: object[]; neigh?: object[] }): { run: CommandRunner; changes: string[] } {
  const changes: string[] = [];
  const run: CommandRunner = async (cmd, args) => {
    const line = `${cmd} ${args.join(' ')}`;
    if (line.startsWith('ip -j -4 route show proto 83')) return { code: 0, stdout: JSON.stringify(state.routes), stderr: '' };
    if (line.startsWith('bridge -j fdb show')) return { code: 0, stdout: JSON.stringify(state.fdb ?? []), stderr: '' };
    if (line.startsWith('ip -j -4 neigh show')) return { code: 0, stdout: JSON.stringify(state.neigh ?? []), stderr: '' };
    changes.push(line);
    if (line.includes('192.168.9.9')) return { code: 2, stdout: '', stderr: 'Error: Nexthop has invalid gateway.' };
    return { code: 0, stdout: '', stderr: '' };
  };
  return { run, changes };
}

test('apply: stale routes of Skiff go, missing or different ones are replaced, matching ones are left alone', async () => {
  const k = fakeKernel({
    routes: [
      { dst: '10.42.1.0/24', gateway: '192.168.5.11', dev: 'eth0' }, // as wanted
      { dst: '10.42.2.0/24', gateway: '192.168.5.99', dev: 'eth0' }, // wrong next hop
      { dst: '10.42.9.0/24', gateway: '192.168.5.19', dev: 'eth0' }, // node gone
    ],
  });
  const want = desiredNetwork('host-gw', [...peersOf(nodes, 'a'), { name: 'far', podCidr: '10.42.8.0/24', ip: '192.168.9.9' }], 'skiff.1');
  const res = await applyNetwork(k.run, want, undefined);
  assert.deepEqual(k.changes, [
    'ip route del 10.42.9.0/24 proto 83',
    'ip route replace 10.42.2.0/24 via 192.168.5.12 proto 83',
    'ip route replace 10.42.8.0/24 via 192.168.9.9 proto 83',
  ]);
  assert.equal(res.failures.length, 1);
  assert.match(res.failures[0]!, /route 10\.42\.8\.0\/24 via 192\.168\.9\.9: .*Nexthop has invalid gateway/);
});

test('apply (vxlan): FDB and neighbour entries follow the peers; routes go over the device with onlink', async () => {
  const k = fakeKernel({
    routes: [],
    fdb: [
      { mac: '0a:00:00:00:00:0c', dst: '192.168.5.12', state: 'permanent' },
      { mac: '33:33:00:00:00:01', flags: ['self'] },
    ],
    neigh: [{ dst: '10.42.2.0', lladdr: '0a:00:00:00:00:0c', state: ['PERMANENT'] }],
  });
  await applyNetwork(k.run, desiredNetwork('vxlan', peersOf(nodes, 'a'), 'skiff.1'), 'skiff.1');
  assert.deepEqual(k.changes, [
    'bridge fdb del 0a:00:00:00:00:0c dev skiff.1 dst 192.168.5.12',
    'ip neigh del 10.42.2.0 dev skiff.1',
    'bridge fdb replace 0a:00:00:00:00:0b dev skiff.1 dst 192.168.5.11 self permanent',
    'ip neigh replace 10.42.1.0 lladdr 0a:00:00:00:00:0b dev skiff.1 nud permanent',
    'ip route replace 10.42.1.0/24 via 10.42.1.0 dev skiff.1 onlink proto 83',
  ]);
});
