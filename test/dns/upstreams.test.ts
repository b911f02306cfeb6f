// Where forwarded names go: resolv.conf servers, the skiff-dns ConfigMap's stub domains and
// upstreamNameservers (kube-dns's format), and the forwarder's cache rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { ResponseCache } from '../../src/dns/cache.js';
import { kubeDnsService, nodeEndpointSlice } from '../../src/dns/kube-dns.js';
import { parseConfigMapData, parseUpstream, resolvConfServers, upstreamsFor } from '../../src/dns/upstreams.js';
import { walkResponse } from '../../src/dns/wire.js';
import { inCidrs } from '../../src/dns/names.js';

test('CIDR membership, IPv4 and IPv6', () => {
  assert.ok(inCidrs('10.42.3.4', ['10.42.0.0/16']));
  assert.ok(!inCidrs('10.43.3.4', ['10.42.0.0/16']));
  assert.ok(inCidrs('::ffff:10.42.0.1', ['10.42.0.0/16']));
  assert.ok(inCidrs('fd00:42::5', ['fd00:42::/64']));
  assert.ok(!inCidrs('fd00:43::5', ['fd00:42::/64', '10.0.0.0/8']));
  assert.ok(inCidrs('127.0.0.1', ['127.0.0.1']));
  assert.ok(!inCidrs('junk', ['0.0.0.0/0']));
});

test('resolv.conf: nameserver lines only, IPv6 zones dropped, names skipped', () => {
  assert.deepEqual(resolvConfServers('# c\nsearch a\nnameserver 192.0.2.1\nnameserver fe80::1%eth0 ; x\nnameserver not-an-ip\noptions ndots:2\n'), [
    { host: '192.0.2.1', port: 53 },
    { host: 'fe80::1', port: 53 },
  ]);
});

test('upstream addresses: IP, IP:port, [IPv6]:port; anything else is an error', () => {
  assert.deepEqual(parseUpstream('192.0.2.1'), { host: '192.0.2.1', port: 53 });
  assert.deepEqual(parseUpstream('192.0.2.1:5353'), { host: '192.0.2.1', port: 5353 });
  assert.deepEqual(parseUpstream('[fd00::1]:54'), { host: 'fd00::1', port: 54 });
  assert.deepEqual(parseUpstream('fd00::1'), { host: 'fd00::1', port: 53 });
  assert.throws(() => parseUpstream('dns.example'), /not a nameserver address/);
  assert.throws(() => parseUpstream('192.0.2.1:70000'), /not a nameserver address/);
});

test('the skiff-dns ConfigMap: stub domains and upstreamNameservers; bad parts reported, good parts kept', () => {
  const ok = parseConfigMapData({
    stubDomains: '{"Acme.Local.": ["10.0.0.1", "10.0.0.2:5353"]}',
    upstreamNameservers: '["192.0.2.53", "192.0.2.54", "192.0.2.55", "192.0.2.56"]',
  });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual([...ok.stubDomains.keys()], ['acme.local']);
  assert.deepEqual(ok.stubDomains.get('acme.local'), [
    { host: '10.0.0.1', port: 53 },
    { host: '10.0.0.2', port: 5353 },
  ]);
  assert.equal(ok.upstreamNameservers!.length, 3);
  const bad = parseConfigMapData({ stubDomains: '{"bad domain!": ["10.0.0.1"], "good.test": ["x", "10.0.0.3"]}', upstreamNameservers: '{}' });
  assert.deepEqual([...bad.stubDomains.keys()], ['good.test']);
  assert.equal(bad.upstreamNameservers, undefined);
  assert.equal(bad.errors.length, 3, bad.errors.join('\n'));
  assert.match(parseConfigMapData({ stubDomains: 'nope' }).errors[0]!, /stubDomains: not JSON/);
  assert.deepEqual(parseConfigMapData(undefined), { stubDomains: new Map(), errors: [] });
});

test('the longest stub domain wins; other names go to the default servers', () => {
  const cfg = {
    servers: [{ host: '192.0.2.1', port: 53 }],
    stubDomains: new Map([
      ['acme.local', [{ host: '10.0.0.1', port: 53 }]],
      ['lab.acme.local', [{ host: '10.0.0.2', port: 53 }]],
    ]),
  };
  assert.equal(upstreamsFor(cfg, 'x.lab.acme.local').servers[0]!.host, '10.0.0.2');
  assert.equal(upstreamsFor(cfg, 'acme.local').servers[0]!.host, '10.0.0.1');
  assert.equal(upstreamsFor(cfg, 'notacme.local').servers[0]!.host, '192.0.2.1');
});

test("cache: positive answers for their smallest TTL, negative ones for the SOA's, failures never; bounded", () => {
  const cache = new ResponseCache({ maxEntries: 2, maxNegativeEntries: 1 });
  const answer = (name: string, ttl: number) =>
    dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name, type: 'A' }],
      answers: [
        { name, type: 'A', ttl, data: '192.0.2.1' },
        { name, type: 'A', ttl: ttl + 10, data: '192.0.2.2' },
      ],
    });
  const nx = (name: string) =>
    dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: 3,
      questions: [{ name, type: 'A' }],
      authorities: [{ name: 'test', type: 'SOA', ttl: 60, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 20 } }],
    });
  const t0 = 1_000_000;
  const a = answer('a.test', 30);
  assert.ok(cache.put('a', a, walkResponse(a)!, t0));
  assert.ok(cache.get('a', t0 + 29_000));
  assert.equal(cache.get('a', t0 + 30_000), undefined);
  const n = nx('n.test');
  assert.equal(walkResponse(n)!.negativeTtl, 20);
  assert.ok(cache.put('n', n, walkResponse(n)!, t0));
  assert.ok(cache.get('n', t0 + 19_000));
  const servfail = dnsPacket.encode({ type: 'response', id: 1, flags: 2, questions: [{ name: 's.test', type: 'A' }] });
  assert.equal(cache.put('s', servfail, walkResponse(servfail)!, t0), false);
  const noSoa = dnsPacket.encode({ type: 'response', id: 1, flags: 3, questions: [{ name: 'x.test', type: 'A' }] });
  assert.equal(cache.put('x', noSoa, walkResponse(noSoa)!, t0), false);
  for (const k of ['b', 'c', 'd']) cache.put(k, answer(`${k}.test`, 30), walkResponse(answer(`${k}.test`, 30))!, t0);
  cache.put('m', nx('m.test'), walkResponse(nx('m.test'))!, t0);
  assert.deepEqual(cache.size, { positive: 2, negative: 1 });
});

test("kube-dns objects: the Service and a node's EndpointSlice", () => {
  const svc = kubeDnsService('10.43.0.10');
  assert.equal(svc.spec!.internalTrafficPolicy, 'Local');
  assert.equal(svc.spec!.selector, undefined);
  const slice = nodeEndpointSlice({ nodeName: 'n1', addresses: ['192.0.2.7'], port: 10053, metricsPort: 9153 }, 'uid-1');
  assert.equal(slice.metadata!.name, 'kube-dns-n1');
  assert.equal(slice.endpoints[0]!.nodeName, 'n1');
  assert.deepEqual(slice.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }]);
  assert.equal(nodeEndpointSlice({ nodeName: 'n1', addresses: ['fd00::7'], port: 53, metricsPort: 9153 }).addressType, 'IPv6');
});
