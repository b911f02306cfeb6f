// The sandbox DNS config by dnsPolicy, with the pod's dnsConfig merged and limits applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseResolvConf, podDNSConfig, type NodeDNS } from '../../../src/kubelet/pod/dns-config.js';

const host = parseResolvConf(
  '# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54 ; second\ndomain ignored.example\nsearch corp.example. lab.example\noptions edns0 timeout:2\n',
);
const node: NodeDNS = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', host };
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [], ...spec } });

test('resolv.conf parsing: nameservers, the last search line, options', () => {
  assert.deepEqual(host, { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
  assert.deepEqual(parseResolvConf(''), { servers: [], searches: [], options: [] });
});

test("ClusterFirst: cluster DNS, namespace search path then the node's, ndots:5", () => {
  assert.deepEqual(podDNSConfig(pod(), node), {
    servers: ['10.43.0.10'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
    options: ['ndots:5'],
  });
  // Host-network pods with ClusterFirst use the node's resolver; ClusterFirstWithHostNet does not.
  assert.deepEqual(podDNSConfig(pod({ hostNetwork: true }), node), host);
  assert.deepEqual(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), node).servers, ['10.43.0.10']);
  // No cluster DNS configured: the node's.
  assert.deepEqual(podDNSConfig(pod(), { ...node, clusterDNS: [] }), host);
});

test('Default and None policies, dnsConfig merged, limits', () => {
  assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), node), host);
  assert.deepEqual(
    podDNSConfig(
      pod({
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['192.0.2.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] },
      }),
      node,
    ),
    { servers: ['192.0.2.1'], searches: ['a.example'], options: ['ndots:2', 'rotate'] },
  );
  const merged = podDNSConfig(
    pod({
      dnsConfig: {
        nameservers: ['10.43.0.10', '192.0.2.9', '192.0.2.10', '192.0.2.11'],
        searches: ['x.example', 'corp.example'],
        options: [{ name: 'ndots', value: '1' }],
      },
    }),
    node,
  );
  assert.deepEqual(merged.servers, ['10.43.0.10', '192.0.2.9', '192.0.2.10']);
  assert.deepEqual(merged.searches.slice(-2), ['lab.example', 'x.example']);
  assert.deepEqual(merged.options, ['ndots:1']);
  const many = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: Array.from({ length: 40 }, (_, i) => `d${i}.example`) } }), node);
  assert.equal(many.searches.length, 32);
  const long = podDNSConfig(
    pod({ dnsPolicy: 'None', dnsConfig: { searches: Array.from({ length: 10 }, (_, i) => `${String(i).repeat(250)}.example`) } }),
    node,
  );
  assert.ok(long.searches.join(' ').length <= 2048);
  assert.equal(long.searches.length, 7);
});
