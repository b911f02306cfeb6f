// The iptables rules of a service port, compared line by line with kube-proxy's layout
// (chain names, comments, match order and probabilities as kube-proxy's iptables proxier writes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointChain, serviceChain } from '../../src/proxy/iptables/chain-names.js';
import { probability, servicePortRules, type ServicePortRules } from '../../src/proxy/iptables/rules.js';
import { ep, port } from './fixtures.js';

const ctx = { clusterCIDR: '10.0.0.0/8' };
const chainsText = (r: ServicePortRules) => r.chains.map((c) => [`:${c.name}`, ...c.rules]);

test("chain names are kube-proxy's hashes (base32 of sha256, 16 characters)", () => {
  // Values from kube-proxy's own iptables proxier tests.
  assert.equal(serviceChain('SVC', 'ns1/svc1:p80', 'TCP'), 'KUBE-SVC-XPGD46QRK7WJZT7O');
  assert.equal(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
  assert.equal(serviceChain('EXT', 'ns2/svc2:p80', 'tcp'), 'KUBE-EXT-GNZBNJ2PO5MGZ6GT');
});

test('probabilities are printed with ten decimals', () => {
  assert.equal(probability(2), '0.5000000000');
  assert.equal(probability(3), '0.3333333333');
  assert.equal(probability(10), '0.1000000000');
});

test('ClusterIP: KUBE-SERVICES jump, masquerade from outside the pod network, random choice, hairpin and DNAT per endpoint', () => {
  const svc = port('ns1', 'svc1', 'p80');
  const r = servicePortRules(svc, [ep('10.180.0.2', 8080), ep('10.180.0.1', 8080), ep('10.180.0.3', 8080, { ready: false, serving: false })], ctx);
  const S = 'KUBE-SVC-XPGD46QRK7WJZT7O';
  const sep1 = endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:8080');
  const sep2 = endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.2:8080');
  assert.deepEqual(r.natServices, [`-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${S}`]);
  assert.deepEqual(r.natNodePorts, []);
  assert.deepEqual([r.filterServices, r.filterExternal, r.filterNodePorts], [[], [], []]);
  assert.deepEqual(chainsText(r), [
    [
      `:${S}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:8080" -j ${sep2}`,
    ],
    [
      `:${sep1}`,
      `-A ${sep1} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
      `-A ${sep1} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:8080`,
    ],
    [
      `:${sep2}`,
      `-A ${sep2} -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`,
      `-A ${sep2} -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:8080`,
    ],
  ]);
});

test('an unnamed UDP port: the name without a colon, udp matches; terminating endpoints used when none is ready', () => {
  const svc = port('kube-system', 'dns', '', { protocol: 'UDP', port: 53, clusterIPs: ['10.43.0.10'] });
  const r = servicePortRules(
    svc,
    [ep('10.42.0.5', 53, { ready: false, serving: true, terminating: true }), ep('10.42.0.6', 53, { ready: false, serving: false, terminating: true })],
    {},
  );
  const S = serviceChain('SVC', 'kube-system/dns', 'udp');
  const sep = endpointChain('kube-system/dns', 'udp', '10.42.0.5:53');
  assert.deepEqual(r.natServices, [`-A KUBE-SERVICES -m comment --comment "kube-system/dns cluster IP" -m udp -p udp -d 10.43.0.10 --dport 53 -j ${S}`]);
  assert.deepEqual(
    chainsText(r),
    [
      [`:${S}`, `-A ${S} -m comment --comment "kube-system/dns -> 10.42.0.5:53" -j ${sep}`],
      [
        `:${sep}`,
        `-A ${sep} -m comment --comment kube-system/dns -s 10.42.0.5 -j KUBE-MARK-MASQ`,
        `-A ${sep} -m comment --comment kube-system/dns -m udp -p udp -j DNAT --to-destination 10.42.0.5:53`,
      ],
    ],
    'no masquerade rule without a cluster CIDR; the not-serving endpoint is left out',
  );
});

test('NodePort, externalIPs and LoadBalancer IPs (Cluster policy): KUBE-EXT chain that masquerades, then the service chain', () => {
  const svc = port('ns2', 'svc2', 'p80', { nodePort: 3001, externalIPs: ['192.168.99.11'], loadBalancerIPs: ['192.168.99.12'] });
  const r = servicePortRules(svc, [ep('10.180.0.2', 80)], ctx);
  const S = serviceChain('SVC', 'ns2/svc2:p80', 'tcp');
  const X = 'KUBE-EXT-GNZBNJ2PO5MGZ6GT';
  assert.deepEqual(r.natServices, [
    `-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${S}`,
    `-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j ${X}`,
    `-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 192.168.99.12 --dport 80 -j ${X}`,
  ]);
  assert.deepEqual(r.natNodePorts, [`-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j ${X}`]);
  assert.deepEqual(chainsText(r)[0], [
    `:${X}`,
    `-A ${X} -m comment --comment "masquerade traffic for ns2/svc2:p80 external destinations" -j KUBE-MARK-MASQ`,
    `-A ${X} -j ${S}`,
  ]);
  assert.deepEqual(
    r.chains.map((c) => c.name.slice(0, 9)),
    ['KUBE-EXT-', 'KUBE-SVC-', 'KUBE-SEP-'],
  );
});

test('sessionAffinity ClientIP: recent checks for every endpoint first, then the random choice; endpoints set the recent list', () => {
  const svc = port('ns1', 'svc1', 'p80', { affinityTimeoutSeconds: 10800 });
  const r = servicePortRules(svc, [ep('10.180.0.1', 80), ep('10.180.0.2', 80)], {});
  const S = 'KUBE-SVC-XPGD46QRK7WJZT7O';
  const [a, b] = ['10.180.0.1:80', '10.180.0.2:80'].map((e) => endpointChain('ns1/svc1:p80', 'tcp', e));
  assert.deepEqual(chainsText(r), [
    [
      `:${S}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --name ${a} --rcheck --seconds 10800 --reap -j ${a}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m recent --name ${b} --rcheck --seconds 10800 --reap -j ${b}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j ${a}`,
      `-A ${S} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${b}`,
    ],
    [
      `:${a}`,
      `-A ${a} -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
      `-A ${a} -m comment --comment ns1/svc1:p80 -m recent --name ${a} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
    ],
    [
      `:${b}`,
      `-A ${b} -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`,
      `-A ${b} -m comment --comment ns1/svc1:p80 -m recent --name ${b} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80`,
    ],
  ]);
});

test('externalTrafficPolicy Local: EXT keeps outside sources, sends pods and the node itself by Cluster policy; KUBE-SVL has only local endpoints; health check port accepted', () => {
  const svc = port('ns3', 'lb', 'http', { nodePort: 30080, externalTrafficPolicyLocal: true, healthCheckNodePort: 32000, loadBalancerIPs: ['10.99.0.7'] });
  const local = ep('10.180.1.5', 8080, { isLocal: true, nodeName: 'me' });
  const remote = ep('10.180.2.5', 8080, { nodeName: 'other' });
  const r = servicePortRules(svc, [remote, local], ctx);
  const S = serviceChain('SVC', 'ns3/lb:http', 'tcp');
  const L = serviceChain('SVL', 'ns3/lb:http', 'tcp');
  const X = serviceChain('EXT', 'ns3/lb:http', 'tcp');
  const sl = endpointChain('ns3/lb:http', 'tcp', '10.180.1.5:8080');
  const sr = endpointChain('ns3/lb:http', 'tcp', '10.180.2.5:8080');
  assert.deepEqual(r.filterNodePorts, ['-A KUBE-NODEPORTS -m comment --comment "ns3/lb:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT']);
  assert.deepEqual(r.filterExternal, []);
  assert.deepEqual(chainsText(r).slice(0, 3), [
    [
      `:${X}`,
      `-A ${X} -m comment --comment "pod traffic for ns3/lb:http external destinations" -s 10.0.0.0/8 -j ${S}`,
      `-A ${X} -m comment --comment "masquerade LOCAL traffic for ns3/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${X} -m comment --comment "route LOCAL traffic for ns3/lb:http external destinations" -m addrtype --src-type LOCAL -j ${S}`,
      `-A ${X} -j ${L}`,
    ],
    [
      `:${S}`,
      `-A ${S} -m comment --comment "ns3/lb:http cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${S} -m comment --comment "ns3/lb:http -> 10.180.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${sl}`,
      `-A ${S} -m comment --comment "ns3/lb:http -> 10.180.2.5:8080" -j ${sr}`,
    ],
    [`:${L}`, `-A ${L} -m comment --comment "ns3/lb:http -> 10.180.1.5:8080" -j ${sl}`],
  ]);

  // The same Service on a node without a local endpoint: external traffic from outside is dropped.
  const r2 = servicePortRules(svc, [remote], ctx);
  assert.deepEqual(r2.filterExternal, [
    `-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns3/lb:http has no local endpoints" -m tcp -p tcp -d 10.99.0.7 --dport 80 -j DROP`,
    `-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns3/lb:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP`,
  ]);
  assert.deepEqual(
    chainsText(r2)[0],
    [
      `:${X}`,
      `-A ${X} -m comment --comment "pod traffic for ns3/lb:http external destinations" -s 10.0.0.0/8 -j ${S}`,
      `-A ${X} -m comment --comment "masquerade LOCAL traffic for ns3/lb:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${X} -m comment --comment "route LOCAL traffic for ns3/lb:http external destinations" -m addrtype --src-type LOCAL -j ${S}`,
    ],
    'no jump to KUBE-SVL: what falls through is dropped in filter',
  );
  assert.ok(!r2.chains.some((c) => c.name === L));
});

test('internalTrafficPolicy Local: the cluster IP goes to KUBE-SVL; without a local endpoint it is dropped', () => {
  const svc = port('ns4', 'itp', 'p', { internalTrafficPolicyLocal: true });
  const L = serviceChain('SVL', 'ns4/itp:p', 'tcp');
  const r = servicePortRules(svc, [ep('10.180.1.5', 80, { isLocal: true }), ep('10.180.2.5', 80)], ctx);
  assert.deepEqual(r.natServices, [`-A KUBE-SERVICES -m comment --comment "ns4/itp:p cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${L}`]);
  assert.deepEqual(
    r.chains.map((c) => c.name),
    [L, endpointChain('ns4/itp:p', 'tcp', '10.180.1.5:80')],
  );
  const r2 = servicePortRules(svc, [ep('10.180.2.5', 80)], ctx);
  assert.deepEqual(r2.natServices, []);
  assert.deepEqual(r2.filterServices, [
    '-A KUBE-SERVICES -m comment --comment "ns4/itp:p has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
  ]);
  assert.deepEqual(r2.chains, []);
});

test('no endpoints: REJECT in filter for the cluster IP, external IPs and the NodePort; no nat chains', () => {
  const svc = port('ns2', 'svc2', 'p80', { nodePort: 3001, externalIPs: ['192.168.99.11'] });
  const r = servicePortRules(svc, [ep('10.180.0.9', 80, { ready: false, serving: false })], ctx);
  assert.deepEqual(r.natServices, []);
  assert.deepEqual(r.natNodePorts, []);
  assert.deepEqual(r.chains, []);
  assert.deepEqual(r.filterServices, [
    '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
  ]);
  assert.deepEqual(r.filterExternal, [
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no endpoints" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j REJECT',
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT',
  ]);
});

test('headless (no cluster IP) and IPv6-only ports get no rules', () => {
  const empty = { natServices: [], natNodePorts: [], filterServices: [], filterExternal: [], filterNodePorts: [], chains: [] };
  assert.deepEqual(servicePortRules(port('a', 'h', 'p', { clusterIPs: [] }), [ep('10.1.1.1', 80)], ctx), empty);
  assert.deepEqual(servicePortRules(port('a', 'v6', 'p', { clusterIPs: ['fd00::1'] }), [ep('10.1.1.1', 80)], ctx), empty);
});
