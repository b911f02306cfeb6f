// Exact nft text for each kind of service port, compared with kube-proxy's nftables layout
// (pkg/proxy/nftables proxier_test.go: service-/external-/local-/endpoint- chains, the
// service-ips and service-nodeports verdict maps, no-endpoint maps with reject or drop).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shortHash } from '../../src/proxy/nftables/names.js';
import { parseObjectNames } from '../../src/proxy/nftables/nft-command.js';
import { addFragmentLines, baseObjects, serviceFragment, type NftOptions } from '../../src/proxy/nftables/ruleset.js';
import { ep, svcPort } from './proxy-mode-fixtures.js';

const opts: NftOptions = { clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };
const lines = (s: Parameters<typeof serviceFragment>[0], e: Parameters<typeof serviceFragment>[1], o = opts) => addFragmentLines(serviceFragment(s, e, o));

const clusterIP = [
  'add chain ip skiff service-KUEAGMSZ-ns1/svc1/tcp/p80',
  'add chain ip skiff endpoint-W6OBMAZD-ns1/svc1/tcp/p80__10.42.0.1/80',
  'add rule ip skiff service-KUEAGMSZ-ns1/svc1/tcp/p80 ip daddr 10.43.0.41 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff service-KUEAGMSZ-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-W6OBMAZD-ns1/svc1/tcp/p80__10.42.0.1/80 }',
  'add rule ip skiff endpoint-W6OBMAZD-ns1/svc1/tcp/p80__10.42.0.1/80 ip saddr 10.42.0.1 jump mark-for-masquerade',
  'add rule ip skiff endpoint-W6OBMAZD-ns1/svc1/tcp/p80__10.42.0.1/80 meta l4proto tcp dnat to 10.42.0.1:80',
  'add element ip skiff service-ips { 10.43.0.41 . tcp . 80 : goto service-KUEAGMSZ-ns1/svc1/tcp/p80 }',
];

const lbLocalNoLocalEndpoints = [
  'add chain ip skiff service-DD4AEDAX-ns2/svc2/tcp/p80',
  'add chain ip skiff external-DD4AEDAX-ns2/svc2/tcp/p80',
  'add chain ip skiff endpoint-EPHYKHXA-ns2/svc2/tcp/p80__10.42.0.2/80',
  'add rule ip skiff service-DD4AEDAX-ns2/svc2/tcp/p80 ip daddr 10.43.0.42 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff external-DD4AEDAX-ns2/svc2/tcp/p80 ip saddr 10.42.0.0/16 goto service-DD4AEDAX-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
  'add rule ip skiff external-DD4AEDAX-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
  'add rule ip skiff external-DD4AEDAX-ns2/svc2/tcp/p80 fib saddr type local goto service-DD4AEDAX-ns2/svc2/tcp/p80 comment "short-circuit local traffic"',
  'add rule ip skiff service-DD4AEDAX-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-EPHYKHXA-ns2/svc2/tcp/p80__10.42.0.2/80 }',
  'add rule ip skiff endpoint-EPHYKHXA-ns2/svc2/tcp/p80__10.42.0.2/80 ip saddr 10.42.0.2 jump mark-for-masquerade',
  'add rule ip skiff endpoint-EPHYKHXA-ns2/svc2/tcp/p80__10.42.0.2/80 meta l4proto tcp dnat to 10.42.0.2:80',
  'add element ip skiff service-ips { 10.43.0.42 . tcp . 80 : goto service-DD4AEDAX-ns2/svc2/tcp/p80 }',
  'add element ip skiff service-ips { 192.168.99.22 . tcp . 80 : goto external-DD4AEDAX-ns2/svc2/tcp/p80 }',
  'add element ip skiff no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }',
  'add element ip skiff service-ips { 1.2.3.4 . tcp . 80 : goto external-DD4AEDAX-ns2/svc2/tcp/p80 }',
  'add element ip skiff no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }',
  'add element ip skiff service-nodeports { tcp . 30001 : goto external-DD4AEDAX-ns2/svc2/tcp/p80 }',
  'add element ip skiff no-endpoint-nodeports { tcp . 30001 comment "ns2/svc2:p80" : drop }',
];

const nodePortTwoEndpoints = [
  'add chain ip skiff service-ENE5WWX4-ns4/svc4/tcp/p80',
  'add chain ip skiff external-ENE5WWX4-ns4/svc4/tcp/p80',
  'add chain ip skiff endpoint-WARUEZZB-ns4/svc4/tcp/p80__10.42.0.4/80',
  'add chain ip skiff endpoint-SVFIIV6W-ns4/svc4/tcp/p80__10.42.0.5/80',
  'add rule ip skiff service-ENE5WWX4-ns4/svc4/tcp/p80 ip daddr 10.43.0.44 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff external-ENE5WWX4-ns4/svc4/tcp/p80 jump mark-for-masquerade',
  'add rule ip skiff external-ENE5WWX4-ns4/svc4/tcp/p80 goto service-ENE5WWX4-ns4/svc4/tcp/p80',
  'add rule ip skiff service-ENE5WWX4-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-WARUEZZB-ns4/svc4/tcp/p80__10.42.0.4/80 , 1 : goto endpoint-SVFIIV6W-ns4/svc4/tcp/p80__10.42.0.5/80 }',
  'add rule ip skiff endpoint-WARUEZZB-ns4/svc4/tcp/p80__10.42.0.4/80 ip saddr 10.42.0.4 jump mark-for-masquerade',
  'add rule ip skiff endpoint-WARUEZZB-ns4/svc4/tcp/p80__10.42.0.4/80 meta l4proto tcp dnat to 10.42.0.4:80',
  'add rule ip skiff endpoint-SVFIIV6W-ns4/svc4/tcp/p80__10.42.0.5/80 ip saddr 10.42.0.5 jump mark-for-masquerade',
  'add rule ip skiff endpoint-SVFIIV6W-ns4/svc4/tcp/p80__10.42.0.5/80 meta l4proto tcp dnat to 10.42.0.5:80',
  'add element ip skiff service-ips { 10.43.0.44 . tcp . 80 : goto service-ENE5WWX4-ns4/svc4/tcp/p80 }',
  'add element ip skiff service-nodeports { tcp . 30003 : goto external-ENE5WWX4-ns4/svc4/tcp/p80 }',
];

const affinity = [
  'add set ip skiff affinity-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }',
  'add chain ip skiff service-FYX7DBLK-ns5/svc5/tcp/p80',
  'add chain ip skiff endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80',
  'add rule ip skiff service-FYX7DBLK-ns5/svc5/tcp/p80 ip daddr 10.43.0.45 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff service-FYX7DBLK-ns5/svc5/tcp/p80 ip saddr @affinity-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 goto endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80',
  'add rule ip skiff service-FYX7DBLK-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 }',
  'add rule ip skiff endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 ip saddr 10.42.0.3 jump mark-for-masquerade',
  'add rule ip skiff endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 update @affinity-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 { ip saddr }',
  'add rule ip skiff endpoint-4DRZC4VW-ns5/svc5/tcp/p80__10.42.0.3/80 meta l4proto tcp dnat to 10.42.0.3:80',
  'add element ip skiff service-ips { 10.43.0.45 . tcp . 80 : goto service-FYX7DBLK-ns5/svc5/tcp/p80 }',
];

const noEndpoints = [
  'add element ip skiff no-endpoint-services { 10.43.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }',
  'add element ip skiff no-endpoint-nodeports { tcp . 30006 comment "ns6/svc6:p80" : goto reject-chain }',
];

const udpExternalLocal = [
  'add chain ip skiff service-CQC6PSO4-ns7/svc7/udp/dns',
  'add chain ip skiff local-CQC6PSO4-ns7/svc7/udp/dns',
  'add chain ip skiff external-CQC6PSO4-ns7/svc7/udp/dns',
  'add chain ip skiff endpoint-62N2QLYA-ns7/svc7/udp/dns__10.42.0.7/5353',
  'add chain ip skiff endpoint-VN4A2VYS-ns7/svc7/udp/dns__10.42.1.7/5353',
  'add rule ip skiff service-CQC6PSO4-ns7/svc7/udp/dns ip daddr 10.43.0.47 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff external-CQC6PSO4-ns7/svc7/udp/dns ip saddr 10.42.0.0/16 goto service-CQC6PSO4-ns7/svc7/udp/dns comment "short-circuit pod traffic"',
  'add rule ip skiff external-CQC6PSO4-ns7/svc7/udp/dns fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
  'add rule ip skiff external-CQC6PSO4-ns7/svc7/udp/dns fib saddr type local goto service-CQC6PSO4-ns7/svc7/udp/dns comment "short-circuit local traffic"',
  'add rule ip skiff external-CQC6PSO4-ns7/svc7/udp/dns goto local-CQC6PSO4-ns7/svc7/udp/dns',
  'add rule ip skiff service-CQC6PSO4-ns7/svc7/udp/dns numgen random mod 2 vmap { 0 : goto endpoint-62N2QLYA-ns7/svc7/udp/dns__10.42.0.7/5353 , 1 : goto endpoint-VN4A2VYS-ns7/svc7/udp/dns__10.42.1.7/5353 }',
  'add rule ip skiff local-CQC6PSO4-ns7/svc7/udp/dns numgen random mod 1 vmap { 0 : goto endpoint-62N2QLYA-ns7/svc7/udp/dns__10.42.0.7/5353 }',
  'add rule ip skiff endpoint-62N2QLYA-ns7/svc7/udp/dns__10.42.0.7/5353 ip saddr 10.42.0.7 jump mark-for-masquerade',
  'add rule ip skiff endpoint-62N2QLYA-ns7/svc7/udp/dns__10.42.0.7/5353 meta l4proto udp dnat to 10.42.0.7:5353',
  'add rule ip skiff endpoint-VN4A2VYS-ns7/svc7/udp/dns__10.42.1.7/5353 ip saddr 10.42.1.7 jump mark-for-masquerade',
  'add rule ip skiff endpoint-VN4A2VYS-ns7/svc7/udp/dns__10.42.1.7/5353 meta l4proto udp dnat to 10.42.1.7:5353',
  'add element ip skiff service-ips { 10.43.0.47 . udp . 53 : goto service-CQC6PSO4-ns7/svc7/udp/dns }',
  'add element ip skiff service-nodeports { udp . 30007 : goto external-CQC6PSO4-ns7/svc7/udp/dns }',
];

const internalLocal = [
  'add chain ip skiff local-57HA2IAH-ns8/svc8/tcp/p80',
  'add chain ip skiff endpoint-XPCLITQR-ns8/svc8/tcp/p80__10.42.0.8/80',
  'add rule ip skiff local-57HA2IAH-ns8/svc8/tcp/p80 ip daddr 10.43.0.48 ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
  'add rule ip skiff local-57HA2IAH-ns8/svc8/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-XPCLITQR-ns8/svc8/tcp/p80__10.42.0.8/80 }',
  'add rule ip skiff endpoint-XPCLITQR-ns8/svc8/tcp/p80__10.42.0.8/80 ip saddr 10.42.0.8 jump mark-for-masquerade',
  'add rule ip skiff endpoint-XPCLITQR-ns8/svc8/tcp/p80__10.42.0.8/80 meta l4proto tcp dnat to 10.42.0.8:80',
  'add element ip skiff service-ips { 10.43.0.48 . tcp . 80 : goto local-57HA2IAH-ns8/svc8/tcp/p80 }',
];

test('a ClusterIP service: cluster-IP element, numgen over endpoints, DNAT with hairpin masquerade', () => {
  assert.deepEqual(lines(svcPort('ns1', 'svc1', 'p80', { clusterIPs: ['10.43.0.41'] }), [ep('10.42.0.1', 80)]), clusterIP);
});

test('LoadBalancer with externalTrafficPolicy Local and no local endpoint: short-circuits, external drop', () => {
  const svc = svcPort('ns2', 'svc2', 'p80', {
    clusterIPs: ['10.43.0.42'],
    nodePort: 30001,
    externalIPs: ['192.168.99.22'],
    loadBalancerIPs: ['1.2.3.4'],
    externalTrafficPolicyLocal: true,
  });
  assert.deepEqual(lines(svc, [ep('10.42.0.2', 80)]), lbLocalNoLocalEndpoints);
});

test('NodePort with two endpoints: numgen random mod 2, external chain masquerades', () => {
  assert.deepEqual(
    lines(svcPort('ns4', 'svc4', 'p80', { clusterIPs: ['10.43.0.44'], nodePort: 30003 }), [ep('10.42.0.4', 80), ep('10.42.0.5', 80)]),
    nodePortTwoEndpoints,
  );
});

test('ClientIP affinity: per-endpoint timeout sets, lookups before numgen, update in the endpoint chain', () => {
  assert.deepEqual(lines(svcPort('ns5', 'svc5', 'p80', { clusterIPs: ['10.43.0.45'], affinityTimeoutSeconds: 10800 }), [ep('10.42.0.3', 80)]), affinity);
});

test('no endpoints: cluster IP and NodePort go to reject-chain, no nat chains', () => {
  assert.deepEqual(lines(svcPort('ns6', 'svc6', 'p80', { clusterIPs: ['10.43.0.46'], nodePort: 30006 }), []), noEndpoints);
  // Not ready and not serving-terminating counts as none.
  assert.deepEqual(
    lines(svcPort('ns6', 'svc6', 'p80', { clusterIPs: ['10.43.0.46'], nodePort: 30006 }), [ep('10.42.0.6', 80, { ready: false, serving: false })]),
    noEndpoints,
  );
});

test('UDP with externalTrafficPolicy Local and a local endpoint: external traffic goes to the local chain', () => {
  const svc = svcPort('ns7', 'svc7', 'dns', { clusterIPs: ['10.43.0.47'], protocol: 'UDP', port: 53, nodePort: 30007, externalTrafficPolicyLocal: true });
  assert.deepEqual(lines(svc, [ep('10.42.0.7', 5353, { isLocal: true }), ep('10.42.1.7', 5353)]), udpExternalLocal);
});

test('internalTrafficPolicy Local: the cluster IP goes to the local chain only', () => {
  const svc = svcPort('ns8', 'svc8', 'p80', { clusterIPs: ['10.43.0.48'], internalTrafficPolicyLocal: true });
  assert.deepEqual(lines(svc, [ep('10.42.0.8', 80, { isLocal: true }), ep('10.42.1.8', 80)]), internalLocal);
  // No local endpoint: packets to the cluster IP are dropped (kube-proxy: "has no local endpoints").
  assert.deepEqual(lines(svc, [ep('10.42.1.8', 80)]), ['add element ip skiff no-endpoint-services { 10.43.0.48 . tcp . 80 comment "ns8/svc8:p80" : drop }']);
});

test('serving-terminating endpoints are used only when none is ready', () => {
  const svc = svcPort('ns1', 'svc1', 'p80', { clusterIPs: ['10.43.0.41'] });
  const got = lines(svc, [ep('10.42.0.1', 80, { ready: false, serving: true, terminating: true })]);
  assert.ok(got.includes('add rule ip skiff endpoint-W6OBMAZD-ns1/svc1/tcp/p80__10.42.0.1/80 meta l4proto tcp dnat to 10.42.0.1:80'));
  const both = lines(svc, [ep('10.42.0.1', 80, { ready: false, serving: true, terminating: true }), ep('10.42.0.9', 80)]);
  assert.ok(!both.some((l) => l.includes('10.42.0.1')), both.join('\n'));
});

test('headless and IPv6-only service ports get no rules; IPv6 endpoints are skipped', () => {
  assert.deepEqual(lines(svcPort('ns9', 'svc9', 'p80', { clusterIPs: [] }), [ep('10.42.0.9', 80)]), []);
  assert.deepEqual(lines(svcPort('ns9', 'svc9', 'p80', { clusterIPs: ['fd00::9'] }), [ep('fd01::9', 80)]), []);
  const dual = lines(svcPort('ns1', 'svc1', 'p80', { clusterIPs: ['fd00::1', '10.43.0.41'] }), [ep('fd01::1', 80), ep('10.42.0.1', 80)]);
  assert.deepEqual(dual, clusterIP);
});

test('masqueradeAll marks every cluster-IP packet; without a cluster CIDR nothing is marked', () => {
  const svc = svcPort('ns1', 'svc1', 'p80', { clusterIPs: ['10.43.0.41'] });
  assert.equal(
    lines(svc, [ep('10.42.0.1', 80)], { ...opts, masqueradeAll: true })[2],
    'add rule ip skiff service-KUEAGMSZ-ns1/svc1/tcp/p80 ip daddr 10.43.0.41 jump mark-for-masquerade',
  );
  assert.ok(!lines(svc, [ep('10.42.0.1', 80)], {}).some((l) => l.includes('ip daddr 10.43.0.41')));
});

test('base objects: hooks, maps and their fixed rules (service CIDR drop only when given)', () => {
  const base = baseObjects(opts);
  for (const l of [
    'add chain ip skiff nat-prerouting { type nat hook prerouting priority -100 ; }',
    'add chain ip skiff nat-output { type nat hook output priority -100 ; }',
    'add chain ip skiff nat-postrouting { type nat hook postrouting priority 100 ; }',
    'add rule ip skiff services ip daddr . meta l4proto . th dport vmap @service-ips',
    'add rule ip skiff services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    'add rule ip skiff service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    'add rule ip skiff masquerading masquerade fully-random',
    'add rule ip skiff cluster-ips-check ip daddr { 10.43.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"',
  ])
    assert.ok(base.includes(l), l);
  // Every base chain is flushed before its rules are added, so a resync never doubles them.
  assert.ok(base.indexOf('flush chain ip skiff services') < base.indexOf('add rule ip skiff services ip daddr . meta l4proto . th dport vmap @service-ips'));
  assert.ok(!baseObjects({}).some((l) => l.includes('Drop traffic to unallocated')));
});

test('names: 8-character base32 hash, listing parser reads chain/set/map names', () => {
  assert.match(shortHash('x'), /^[A-Z2-7]{8}$/);
  assert.equal(shortHash('ns1/svc1:p80/TCP'), 'KUEAGMSZ');
  const listing =
    'table ip skiff {\n\tmap service-ips {\n\t\ttype ipv4_addr\n\t}\n\tset affinity-AB-ns/s/tcp/p__10.0.0.1/80 {\n\t}\n\tchain service-AAA-ns1/svc1/tcp/p80 {\n\t}\n\tchain "odd name" {\n\t}\n}\n';
  assert.deepEqual(parseObjectNames(listing), { chains: ['service-AAA-ns1/svc1/tcp/p80'], sets: ['service-ips', 'affinity-AB-ns/s/tcp/p__10.0.0.1/80'] });
});
