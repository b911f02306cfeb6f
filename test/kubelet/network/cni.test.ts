// The CNI conflist the agent writes for its pod CIDR, and its checks on what it is given.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CniNetwork, cniConflist, parseIPv4Cidr } from '../../../src/kubelet/network/cni.js';

test('bridge (gateway, masquerade, hairpin) with host-local over the pod CIDR, then portmap', () => {
  const c = cniConflist('10.42.7.0/24', { ipamDir: '/data/ipam', bridge: 'skt1' }) as { cniVersion: string; name: string; plugins: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(c.cniVersion, '1.0.0');
  assert.equal(c.name, 'skiff');
  const [bridge, portmap] = c.plugins;
  assert.deepEqual([bridge!.type, bridge!.bridge, bridge!.isGateway, bridge!.ipMasq, bridge!.hairpinMode], ['bridge', 'skt1', true, true, true]);
  assert.deepEqual(bridge!.ipam, { type: 'host-local', dataDir: '/data/ipam', ranges: [[{ subnet: '10.42.7.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] });
  assert.deepEqual(portmap, { type: 'portmap', capabilities: { portMappings: true }, snat: true });
});

test('bad CIDRs and bridge names are refused with the reason', () => {
  assert.throws(() => parseIPv4Cidr('10.42.0.0'), /not an IPv4 CIDR/);
  assert.throws(() => parseIPv4Cidr('10.300.0.0/24'), /out of range/);
  assert.throws(() => parseIPv4Cidr('fd00::/64'), /not an IPv4 CIDR/);
  assert.throws(() => cniConflist('10.42.0.0/24', { ipamDir: '/x', bridge: 'a-very-long-bridge-name' }), /not a valid interface name/);
  assert.throws(() => new CniNetwork({ confDir: '/x', ipamDir: '/y', bridge: 'bad name' }), /not a valid interface name/);
});

test('configure writes the conflist where the runtime looks, turns forwarding on, and lists leases', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-'));
  try {
    const fwd = join(dir, 'ip_forward');
    writeFileSync(fwd, '0\n');
    const net = new CniNetwork({ confDir: join(dir, 'net.d'), ipamDir: join(dir, 'ipam'), bridge: 'skt2', ipForwardPath: fwd });
    net.configure('10.99.1.0/24');
    const written = JSON.parse(readFileSync(net.confFile, 'utf8'));
    assert.equal(written.plugins[0].ipam.ranges[0][0].subnet, '10.99.1.0/24');
    assert.equal(readFileSync(fwd, 'utf8'), '1');
    assert.deepEqual(net.leases(), []);
    const leaseDir = join(dir, 'ipam', 'skiff'); // host-local makes it on first ADD
    mkdirSync(leaseDir);
    writeFileSync(join(leaseDir, '10.99.1.2'), 'id\neth0');
    writeFileSync(join(leaseDir, 'last_reserved_ip.0'), '10.99.1.2');
    assert.deepEqual(net.leases(), ['10.99.1.2']);
    net.configure('10.99.2.0/24');
    assert.equal(JSON.parse(readFileSync(net.confFile, 'utf8')).plugins[0].ipam.ranges[0][0].subnet, '10.99.2.0/24');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a pod network backend turns the bridge plugin's masquerade off and sets the pod MTU, rewriting a conflist already written", () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cni-'));
  try {
    const fwd = join(dir, 'ip_forward');
    writeFileSync(fwd, '1\n');
    const net = new CniNetwork({ confDir: join(dir, 'net.d'), ipamDir: join(dir, 'ipam'), bridge: 'skt3', ipForwardPath: fwd });
    net.configure('10.99.3.0/24');
    assert.equal(JSON.parse(readFileSync(net.confFile, 'utf8')).plugins[0].ipMasq, true);
    net.setPodNetworkOptions({ ipMasq: false, mtu: 1450 });
    const bridge = JSON.parse(readFileSync(net.confFile, 'utf8')).plugins[0];
    assert.deepEqual([bridge.ipMasq, bridge.mtu], [false, 1450]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
