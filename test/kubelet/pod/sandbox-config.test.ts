// The sandbox config a pod gets: hostname, log directory, resolv.conf per dnsPolicy,
// hostPort mappings, labels and host namespaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { buildSandboxConfig, containerLogPath, parseResolvConf, podDnsConfig } from '../../../src/kubelet/pod/sandbox-config.js';

const HOST_RESOLV = '# host\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\noptions edns0 ndots:1\n';
const opts = { podLogsDir: '/data/agent/logs/pods', clusterDns: ['10.43.0.10'], hostResolvConf: () => HOST_RESOLV };

const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod => ({
  metadata: { name: 'web-0', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' }, annotations: { a: 'b' }, ...meta },
  spec: { containers: [{ name: 'web', image: 'x' }], ...spec },
});

test("ClusterFirst: the cluster DNS, the namespace search path, then the node's searches; ndots:5", () => {
  assert.deepEqual(podDnsConfig(pod(), opts), {
    servers: ['10.43.0.10'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    options: ['ndots:5'],
  });
});

test("Default and ClusterFirst with hostNetwork use the node's resolv.conf; ClusterFirstWithHostNet does not", () => {
  const host = { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example'], options: ['edns0', 'ndots:1'] };
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'Default' }), opts), host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true }), opts), host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), opts).servers, ['10.43.0.10']);
});

test("ClusterFirst without a cluster DNS falls back to the node's resolv.conf", () => {
  assert.deepEqual(podDnsConfig(pod(), { ...opts, clusterDns: [] }).servers, ['192.0.2.53', '192.0.2.54']);
});

test('None takes pod.spec.dnsConfig alone; dnsConfig options override by name in other policies', () => {
  const dnsConfig = { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] };
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig }), opts), {
    servers: ['1.1.1.1'],
    searches: ['x.example'],
    options: ['ndots:2', 'rotate'],
  });
  const merged = podDnsConfig(pod({ dnsConfig }), opts);
  assert.deepEqual(merged.servers, ['10.43.0.10', '1.1.1.1']);
  assert.deepEqual(merged.options, ['ndots:2', 'rotate']);
  assert.equal(merged.searches.at(-1), 'x.example');
});

test('resolv.conf parsing ignores comments and keeps the last search line', () => {
  assert.deepEqual(parseResolvConf('nameserver 1.2.3.4 # main\n;x\nsearch a b\nsearch c\noptions timeout:1\n'), {
    servers: ['1.2.3.4'],
    searches: ['c'],
    options: ['timeout:1'],
  });
});

test('hostname, log directory, labels, ports and host namespaces', () => {
  const p = pod({
    hostname: 'custom',
    hostPID: true,
    containers: [
      { name: 'web', image: 'x', ports: [{ containerPort: 8080, hostPort: 18080 }, { containerPort: 9090 }] },
      { name: 'dns', image: 'y', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }] },
    ],
  });
  const c = buildSandboxConfig(p, opts);
  assert.equal(c.hostname, 'custom');
  assert.equal(c.logDirectory, '/data/agent/logs/pods/shop_web-0_uid-1');
  assert.deepEqual(c.metadata, { name: 'web-0', namespace: 'shop', uid: 'uid-1', attempt: 0 });
  assert.deepEqual(c.portMappings, [
    { protocol: 'TCP', containerPort: 8080, hostPort: 18080 },
    { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
  ]);
  assert.deepEqual(c.labels, { app: 'web', 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'uid-1' });
  assert.deepEqual(c.annotations, { a: 'b' });
  assert.deepEqual([c.hostNetwork, c.hostPID, c.hostIPC, c.sharePID], [false, true, false, false]);
  assert.equal(buildSandboxConfig(pod({ shareProcessNamespace: true }), opts).sharePID, true);
});

test('the hostname is the pod name cut to a DNS label; no log directory without a base', () => {
  const long = `${'a'.repeat(62)}-bc`;
  const c = buildSandboxConfig(pod({}, { name: long }), { clusterDns: [] });
  assert.equal(c.hostname, 'a'.repeat(62));
  assert.equal(c.logDirectory, undefined);
  assert.equal(containerLogPath('web', 3), 'web/3.log');
});
