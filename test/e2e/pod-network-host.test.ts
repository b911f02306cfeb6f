// The node network's kernel side against the real tools (ip, bridge, iptables, nft), each
// test inside a network namespace it creates: masquerade rules idempotent and per bridge;
// the conflict check naming --cluster-cidr and --cni-bridge; `skiff cleanup`'s rule, route
// and link removal sparing what is not Skiff's; and `skiff server` refusing to start on a
// host where its cluster CIDR or bridge name is taken.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { runCommand, type CommandRunner } from '../../src/kubelet/network/commands.js';
import { findConflicts } from '../../src/kubelet/network/conflicts.js';
import { ensureMasquerade } from '../../src/kubelet/network/masquerade.js';
import { cleanupNetworkRules } from '../../src/kubelet/network/rules-cleanup.js';
import { ensureBridge, ensureVxlan, vtepMacFor } from '../../src/kubelet/network/vxlan.js';
import { realNodeMissing, startRealNode } from '../helpers/real-node.js';
import { freeOnHost, holdCidrs, ipOk, pickFree, RecordFile, removeRecorded } from '../helpers/netns-topology.js';

const missing =
  process.getuid?.() !== 0
    ? 'not running as root (network namespaces need it)'
    : ['ip', 'iptables', 'nft', 'nsenter', 'bridge'].find((b) => spawnSync('which', [b]).status !== 0);

describe('node network on a real kernel (in a network namespace)', {
  skip: missing ? (missing.includes(' ') ? missing : `${missing} is not installed`) : false,
}, () => {
  const tag = Math.random().toString(36).slice(2, 7).padEnd(5, '0');
  let record: RecordFile;
  let ns = '';
  let net = '';
  let run: CommandRunner;
  const sh = (args: string[]) => spawnSync('nsenter', [`--net=/run/netns/${ns}`, ...args], { encoding: 'utf8' }).stdout;

  before(() => {
    record = new RecordFile(tag);
    const octet = pickFree('cluster /16', 160, 40, (n) => freeOnHost(`10.${n}.0.0/16`));
    net = `10.${octet}`;
    holdCidrs([`${net}.0.0/16`], record);
    ns = `skn-${tag}-host`;
    ipOk(['netns', 'add', ns]);
    record.add('namespaces', ns);
    ipOk(['-n', ns, 'link', 'set', 'lo', 'up']);
    // An underlay: a veth pair inside the namespace, its address outside the cluster CIDR.
    ipOk(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    ipOk(['-n', ns, 'addr', 'add', '192.168.77.10/24', 'dev', 'eth0']);
    ipOk(['-n', ns, 'link', 'set', 'eth0', 'up']);
    ipOk(['-n', ns, 'link', 'set', 'eth1', 'up']);
    run = (cmd, args, input) => runCommand('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], input);
  });
  after(() => {
    removeRecorded(record.rec);
    record.remove();
  });

  test('masquerade: only traffic leaving the cluster CIDR, rules per bridge, idempotent, rewritten when the pod CIDR changes', async () => {
    assert.equal(await ensureMasquerade(run, `${net}.1.0/24`, `${net}.0.0/16`, 'brA'), true);
    assert.equal(await ensureMasquerade(run, `${net}.1.0/24`, `${net}.0.0/16`, 'brA'), false, 'a second pass changes nothing');
    await ensureMasquerade(run, `${net}.2.0/24`, `${net}.0.0/16`, 'brB');
    const nat = () =>
      sh(['iptables', '-t', 'nat', '-S', 'SKIFF-POSTROUTING'])
        .split('\n')
        .filter((l) => l.startsWith('-A'));
    assert.deepEqual(nat(), [
      `-A SKIFF-POSTROUTING -s ${net}.1.0/24 -d ${net}.0.0/16 -m comment --comment "skiff brA: pod to pod keeps its source" -j RETURN`,
      `-A SKIFF-POSTROUTING -s ${net}.1.0/24 -d 224.0.0.0/4 -m comment --comment "skiff brA: multicast stays local" -j RETURN`,
      `-A SKIFF-POSTROUTING -s ${net}.1.0/24 -m comment --comment "skiff brA: pod traffic leaving the cluster" -j MASQUERADE`,
      `-A SKIFF-POSTROUTING -s ${net}.2.0/24 -d ${net}.0.0/16 -m comment --comment "skiff brB: pod to pod keeps its source" -j RETURN`,
      `-A SKIFF-POSTROUTING -s ${net}.2.0/24 -d 224.0.0.0/4 -m comment --comment "skiff brB: multicast stays local" -j RETURN`,
      `-A SKIFF-POSTROUTING -s ${net}.2.0/24 -m comment --comment "skiff brB: pod traffic leaving the cluster" -j MASQUERADE`,
    ]);
    assert.equal(
      sh(['iptables', '-t', 'nat', '-S', 'POSTROUTING'])
        .split('\n')
        .filter((l) => l.includes('SKIFF-POSTROUTING')).length,
      1,
      'one jump',
    );
    assert.match(sh(['iptables', '-S', 'SKIFF-FORWARD']), new RegExp(`-A SKIFF-FORWARD -d ${net}\\.0\\.0/16 .*-j ACCEPT`));
    // A removed rule is put back, in order.
    spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'iptables', '-t', 'nat', '-D', 'SKIFF-POSTROUTING', '2']);
    assert.equal(await ensureMasquerade(run, `${net}.1.0/24`, `${net}.0.0/16`, 'brA'), true);
    assert.equal(
      nat().filter((l) => l.includes('brA'))[1],
      `-A SKIFF-POSTROUTING -s ${net}.1.0/24 -d 224.0.0.0/4 -m comment --comment "skiff brA: multicast stays local" -j RETURN`,
    );
    await ensureMasquerade(run, `${net}.3.0/24`, `${net}.0.0/16`, 'brA');
    assert.ok(
      nat()
        .filter((l) => l.includes('brA'))
        .every((l) => l.includes(`${net}.3.0/24`)),
      'brA follows its new pod CIDR',
    );
    assert.equal(nat().filter((l) => l.includes('brB')).length, 3, 'brB untouched');
  });

  test("conflicts: a foreign route into the cluster CIDR names --cluster-cidr; a foreign interface of the bridge's name names --cni-bridge; Skiff's own pass", async () => {
    const check = { bridge: 'skc0', vxlanDevice: 'skc0.vx', clusterCidr: `${net}.0.0/16` };
    assert.deepEqual(await findConflicts(run, check), []);
    await ensureBridge(run, 'skc0', 1500);
    ipOk(['-n', ns, 'route', 'add', `${net}.50.0/24`, 'via', '192.168.77.20', 'proto', '83']);
    ipOk(['-n', ns, 'addr', 'add', `${net}.0.1/24`, 'dev', 'skc0']);
    assert.deepEqual(await findConflicts(run, check), [], "its own bridge, its connected route and its proto-83 routes are Skiff's");
    ipOk(['-n', ns, 'route', 'add', 'unreachable', `${net}.99.0/24`]);
    ipOk(['-n', ns, 'link', 'add', 'skd0', 'type', 'veth', 'peer', 'name', 'skd1']);
    ipOk(['-n', ns, 'link', 'add', 'ske0', 'type', 'bridge']);
    ipOk(['-n', ns, 'addr', 'add', '172.31.250.1/24', 'dev', 'ske0']);
    const routeProblem = await findConflicts(run, check);
    assert.equal(routeProblem.length, 1);
    assert.match(routeProblem[0]!, new RegExp(`"unreachable ${net}\\.99\\.0/24" overlaps --cluster-cidr ${net}\\.0\\.0/16 and was not made by Skiff`));
    assert.match(
      (await findConflicts(run, { ...check, bridge: 'skd0', vxlanDevice: 'skd0.vx' })).join(),
      /an interface named skd0 exists and is not a bridge \(it is a veth device\): choose another name with --cni-bridge/,
    );
    assert.match(
      (await findConflicts(run, { ...check, bridge: 'ske0', vxlanDevice: 'ske0.vx' })).join(),
      /bridge ske0 exists with address 172\.31\.250\.1\/24, outside .*choose another name with --cni-bridge/,
    );
    ipOk(['-n', ns, 'route', 'del', 'unreachable', `${net}.99.0/24`]);
  });

  test("rules cleanup: Skiff's, kube-proxy's and CNI's chains, nft table skiff, proto-83 routes, Skiff's links go; the rest stays; safe to repeat", async () => {
    await ensureMasquerade(run, `${net}.1.0/24`, `${net}.0.0/16`, 'skf0');
    await ensureBridge(run, 'skf0', 1500);
    await ensureVxlan(run, { name: 'skf0.vx', localIP: '192.168.77.10', underlay: { dev: 'eth0', mtu: 1500 }, mac: vtepMacFor('n'), podCidr: `${net}.1.0/24` });
    ipOk(['-n', ns, 'route', 'replace', `${net}.7.0/24`, 'via', `${net}.7.0`, 'dev', 'skf0.vx', 'onlink', 'proto', '83']);
    const restore = (text: string) =>
      assert.equal(spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'iptables-restore', '--noflush'], { input: text }).status, 0);
    restore(
      '*nat\n:KUBE-SERVICES - [0:0]\n:CNI-abc - [0:0]\n-A PREROUTING -j KUBE-SERVICES\n-A CNI-abc -j MASQUERADE\n-A POSTROUTING -s 10.1.2.3/32 -j CNI-abc\nCOMMIT\n',
    );
    restore('*filter\n:MINE - [0:0]\n-A FORWARD -s 198.51.100.7/32 -j MINE\nCOMMIT\n');
    assert.equal(spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'nft', 'add', 'table', 'ip', 'skiff']).status, 0);
    assert.equal(spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'nft', 'add', 'table', 'ip', 'theirs']).status, 0);
    ipOk(['-n', ns, 'route', 'add', '198.51.100.0/24', 'via', '192.168.77.30']);

    const report = await cleanupNetworkRules(run, { bridge: 'skf0' });
    assert.deepEqual(report.failed, []);
    const saved = sh(['iptables-save']);
    assert.doesNotMatch(saved, /KUBE-|SKIFF-|CNI-/);
    assert.match(saved, /-A FORWARD -s 198\.51\.100\.7\/32 -j MINE/, "a rule that is not Skiff's stays");
    const tables = sh(['nft', 'list', 'tables']);
    assert.doesNotMatch(tables, /table ip skiff/);
    assert.match(tables, /table ip theirs/);
    const routes = sh(['ip', 'route', 'show']);
    assert.doesNotMatch(routes, /proto 83/);
    assert.match(routes, /198\.51\.100\.0\/24 via 192\.168\.77\.30/);
    const links = sh(['ip', '-o', 'link', 'show']);
    assert.doesNotMatch(links, /skf0|skc0/, "Skiff's bridges and VXLAN device are gone");
    assert.match(links, /ske0/, "a bridge that is not Skiff's stays");
    const again = await cleanupNetworkRules(run, { bridge: 'skf0' });
    assert.deepEqual(again, { removed: [], failed: [] }, 'nothing left to remove');
  });
});

test('skiff server refuses to start when a host route overlaps --cluster-cidr or --cni-bridge names a foreign interface', { timeout: 120_000 }, async (t) => {
  const why = realNodeMissing() ?? (spawnSync('which', ['nsenter']).status !== 0 ? 'nsenter is not installed' : undefined);
  if (why) return t.skip(why);
  const tag = Math.random().toString(36).slice(2, 7).padEnd(5, '0');
  const record = new RecordFile(tag);
  try {
    const octet = pickFree('cluster /16', 160, 40, (n) => freeOnHost(`10.${n}.0.0/16`));
    holdCidrs([`10.${octet}.0.0/16`], record);
    const ns = `skn-${tag}-refuse`;
    ipOk(['netns', 'add', ns]);
    record.add('namespaces', ns);
    ipOk(['-n', ns, 'link', 'set', 'lo', 'up']);
    ipOk(['-n', ns, 'route', 'add', 'unreachable', `10.${octet}.3.0/24`]);
    const cidrs = { cluster: `10.${octet}.0.0/17`, service: `10.${octet}.128.0/17`, dns: `10.${octet}.128.10`, podNet: `10.${octet}.` };
    await assert.rejects(
      startRealNode([], { netns: ns, cidrs, bridge: `skr${tag}` }),
      new RegExp(`the host route "unreachable 10\\.${octet}\\.3\\.0/24" overlaps --cluster-cidr 10\\.${octet}\\.0\\.0/17`),
    );
    ipOk(['-n', ns, 'route', 'del', 'unreachable', `10.${octet}.3.0/24`]);
    ipOk(['-n', ns, 'link', 'add', `skr${tag}`, 'type', 'veth', 'peer', 'name', `skp${tag}`]);
    await assert.rejects(startRealNode([], { netns: ns, cidrs, bridge: `skr${tag}` }), /an interface named skr\w+ exists and is not a bridge .*--cni-bridge/);
  } finally {
    removeRecorded(record.rec);
    record.remove();
  }
});
