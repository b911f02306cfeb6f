// The cluster zone's records, type by type, as the Kubernetes DNS specification lays them out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterZone, type LookupResult } from '../../src/dns/records.js';
import { addressOfReverseName, normalizeIP, parseDashedIP, reverseName } from '../../src/dns/names.js';
import { arrayView, service, slice } from './fake-view.js';

const services = [
  service('default', 'kubernetes', { clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
  service('shop', 'web', {
    clusterIP: '10.43.0.20',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { port: 81, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  }),
  service('shop', 'dual', { clusterIP: '10.43.0.21', clusterIPs: ['10.43.0.21', 'fd00:43::21'], ports: [] }),
  service('shop', 'nginx', { clusterIP: 'None', ports: [{ name: 'web', port: 80, protocol: 'TCP' }] }),
  service('shop', 'empty', { clusterIP: 'None', ports: [] }),
  service('shop', 'ext', { type: 'ExternalName', externalName: 'www.example.com' }),
  service('shop', 'alias', { type: 'ExternalName', externalName: 'web.shop.svc.cluster.local' }),
  service('kube-system', 'kube-dns', { clusterIP: '10.43.0.10', ports: [] }),
];
const slices = [
  slice(
    'shop',
    'nginx',
    [
      { addresses: ['10.42.0.5'], hostname: 'web-0', conditions: { ready: true } },
      { addresses: ['10.42.1.6'], hostname: 'web-1', conditions: { ready: true } },
      { addresses: ['10.42.1.7'], conditions: { ready: true } },
      { addresses: ['10.42.1.8'], hostname: 'web-3', conditions: { ready: false } },
    ],
    [{ name: 'web', port: 8080, protocol: 'TCP' }],
  ),
  slice('shop', 'empty', [{ addresses: ['10.42.1.9'], conditions: { ready: false } }]),
];
const zone = new ClusterZone(arrayView(services, slices), { domain: 'cluster.local' });
const data = (r: LookupResult | undefined, type?: string) => (r?.answers ?? []).filter((a) => !type || a.type === type).map((a) => a.data);

test('A for a ClusterIP Service; AAAA of a dual-stack one; names are case-insensitive, the owner keeps the asked spelling', () => {
  const r = zone.lookup('kubernetes.default.svc.cluster.local.', 'A')!;
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.answers, [{ name: 'kubernetes.default.svc.cluster.local', type: 'A', ttl: 5, class: 'IN', data: '10.43.0.1' }]);
  const mixed = zone.lookup('Kubernetes.DEFAULT.svc.Cluster.Local', 'A')!;
  assert.deepEqual(data(mixed), ['10.43.0.1']);
  assert.equal(mixed.answers[0]!.name, 'Kubernetes.DEFAULT.svc.Cluster.Local');
  assert.deepEqual(data(zone.lookup('dual.shop.svc.cluster.local', 'AAAA')), ['fd00:43::21']);
  assert.deepEqual(data(zone.lookup('dual.shop.svc.cluster.local', 'A')), ['10.43.0.21']);
});

test('NXDOMAIN for what does not exist, NODATA for a name without that type; SOA with the negative TTL in both', () => {
  const nx = zone.lookup('nope.default.svc.cluster.local', 'A')!;
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.answers.length, 0);
  assert.equal(nx.authorities[0]!.type, 'SOA');
  assert.equal((nx.authorities[0]!.data as { minimum: number }).minimum, 5);
  assert.equal(nx.authorities[0]!.ttl, 5);
  const nodata = zone.lookup('web.shop.svc.cluster.local', 'AAAA')!;
  assert.equal(nodata.rcode, 'NOERROR');
  assert.equal(nodata.answers.length, 0);
  assert.equal(nodata.authorities[0]!.type, 'SOA');
  assert.equal((nodata.authorities[0]!.data as { serial: number }).serial, 42);
  // Names above records exist (empty non-terminals): NODATA, not NXDOMAIN.
  for (const n of ['svc.cluster.local', 'shop.svc.cluster.local', '_tcp.web.shop.svc.cluster.local', 'pod.cluster.local'])
    assert.deepEqual([n, zone.lookup(n, 'A')!.rcode, zone.lookup(n, 'A')!.answers.length], [n, 'NOERROR', 0]);
  for (const n of ['nons.svc.cluster.local', 'x.y.z.web.shop.svc.cluster.local', 'foo.cluster.local', 'web-0.web.shop.svc.cluster.local'])
    assert.equal(zone.lookup(n, 'A')!.rcode, 'NXDOMAIN', n);
  // A typed NODATA at a name with other records: TXT at a Service.
  assert.equal(zone.lookup('kubernetes.default.svc.cluster.local', 'TXT')!.answers.length, 0);
});

test('headless: one A per ready endpoint; endpoint names by hostname or dashed IP; no ready endpoints is NXDOMAIN', () => {
  assert.deepEqual(data(zone.lookup('nginx.shop.svc.cluster.local', 'A')).sort(), ['10.42.0.5', '10.42.1.6', '10.42.1.7']);
  assert.deepEqual(data(zone.lookup('web-0.nginx.shop.svc.cluster.local', 'A')), ['10.42.0.5']);
  assert.deepEqual(data(zone.lookup('10-42-1-7.nginx.shop.svc.cluster.local', 'A')), ['10.42.1.7']);
  // Not ready: not published.
  assert.equal(zone.lookup('web-3.nginx.shop.svc.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  assert.equal(zone.lookup('empty.shop.svc.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  // publishNotReadyAddresses publishes them all.
  const all = new ClusterZone(arrayView([service('shop', 'empty', { clusterIP: 'None', publishNotReadyAddresses: true })], slices), {
    domain: 'cluster.local',
  });
  assert.deepEqual(data(all.lookup('empty.shop.svc.cluster.local', 'A')), ['10.42.1.9']);
});

test("SRV: ClusterIP Service targets its own name, headless targets each endpoint; targets' addresses in Additional", () => {
  const r = zone.lookup('_http._tcp.web.shop.svc.cluster.local', 'SRV')!;
  assert.deepEqual(data(r), [{ priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' }]);
  assert.deepEqual(
    r.additionals.map((a) => [a.name, a.data]),
    [['web.shop.svc.cluster.local', '10.43.0.20']],
  );
  assert.deepEqual(
    data(zone.lookup('_dns._udp.web.shop.svc.cluster.local', 'SRV')).map((d) => (d as { port: number }).port),
    [53],
  );
  // Wrong protocol, or unknown port name: nothing there.
  assert.equal(zone.lookup('_http._udp.web.shop.svc.cluster.local', 'SRV')!.rcode, 'NXDOMAIN');
  const h = zone.lookup('_web._tcp.nginx.shop.svc.cluster.local', 'SRV')!;
  assert.deepEqual(
    data(h)
      .map((d) => [(d as { target: string }).target, (d as { port: number }).port])
      .sort(),
    [
      ['10-42-1-7.nginx.shop.svc.cluster.local', 8080],
      ['web-0.nginx.shop.svc.cluster.local', 8080],
      ['web-1.nginx.shop.svc.cluster.local', 8080],
    ],
  );
  assert.equal(h.additionals.length, 3);
  // SRV at the Service's own name: every named port (CoreDNS does the same).
  assert.equal(data(zone.lookup('web.shop.svc.cluster.local', 'SRV')).length, 2);
});

test("PTR for cluster IPs and headless endpoints; unknown addresses are not the zone's (forwarded)", () => {
  assert.deepEqual(data(zone.lookup('1.0.43.10.in-addr.arpa', 'PTR')), ['kubernetes.default.svc.cluster.local']);
  assert.deepEqual(data(zone.lookup('5.0.42.10.in-addr.arpa.', 'PTR')), ['web-0.nginx.shop.svc.cluster.local']);
  assert.deepEqual(data(zone.lookup('7.1.42.10.in-addr.arpa', 'PTR')), ['10-42-1-7.nginx.shop.svc.cluster.local']);
  assert.deepEqual(data(zone.lookup(reverseName('fd00:43::21'), 'PTR')), ['dual.shop.svc.cluster.local']);
  assert.equal(zone.lookup('9.9.9.9.in-addr.arpa', 'PTR'), undefined);
  assert.equal(zone.lookup('0.43.10.in-addr.arpa', 'PTR'), undefined);
});

test('ExternalName is a CNAME; one into the zone is followed, one out of it is left to the server', () => {
  const r = zone.lookup('ext.shop.svc.cluster.local', 'A')!;
  assert.deepEqual(
    r.answers.map((a) => [a.type, a.data]),
    [['CNAME', 'www.example.com']],
  );
  assert.equal(r.externalTarget, 'www.example.com');
  assert.equal(zone.lookup('ext.shop.svc.cluster.local', 'TXT')!.externalTarget, undefined);
  const a = zone.lookup('alias.shop.svc.cluster.local', 'A')!;
  assert.deepEqual(
    a.answers.map((x) => [x.type, x.data]),
    [
      ['CNAME', 'web.shop.svc.cluster.local'],
      ['A', '10.43.0.20'],
    ],
  );
});

test('pod records: dashed IPv4 and IPv6; verified mode needs the pod; disabled answers nothing', () => {
  assert.deepEqual(data(zone.lookup('10-42-0-5.shop.pod.cluster.local', 'A')), ['10.42.0.5']);
  assert.deepEqual(data(zone.lookup('fd00-42--5.shop.pod.cluster.local', 'AAAA')), ['fd00:42::5']);
  assert.equal(zone.lookup('10-42-0-300.shop.pod.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  const pods = [{ metadata: { namespace: 'shop', name: 'p' }, status: { podIP: '10.42.0.5' } }];
  const verified = new ClusterZone(arrayView(services, slices, pods), { domain: 'cluster.local', podRecords: 'verified' });
  assert.deepEqual(data(verified.lookup('10-42-0-5.shop.pod.cluster.local', 'A')), ['10.42.0.5']);
  assert.equal(verified.lookup('10-42-0-5.other.pod.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  assert.equal(verified.lookup('10-42-0-6.shop.pod.cluster.local', 'A')!.rcode, 'NXDOMAIN');
  const off = new ClusterZone(arrayView(services, slices), { domain: 'cluster.local', podRecords: 'disabled' });
  assert.equal(off.lookup('10-42-0-5.shop.pod.cluster.local', 'A')!.rcode, 'NXDOMAIN');
});

test('dns-version TXT, the apex SOA and NS, ns.dns A; TTL and domain configurable', () => {
  assert.deepEqual(data(zone.lookup('dns-version.cluster.local', 'TXT')), [['1.1.0']]);
  assert.equal(zone.lookup('cluster.local', 'SOA')!.answers[0]!.type, 'SOA');
  assert.deepEqual(data(zone.lookup('cluster.local', 'NS')), ['ns.dns.cluster.local']);
  assert.deepEqual(data(zone.lookup('ns.dns.cluster.local', 'A')), ['10.43.0.10']);
  const other = new ClusterZone(arrayView(services, slices), { domain: 'Corp.Example.', ttl: 30 });
  const r = other.lookup('kubernetes.default.svc.corp.example', 'A')!;
  assert.deepEqual([r.answers[0]!.data, r.answers[0]!.ttl], ['10.43.0.1', 30]);
  assert.equal(other.lookup('kubernetes.default.svc.cluster.local', 'A'), undefined);
});

test('ANY returns every record at the name', () => {
  const r = zone.lookup('web.shop.svc.cluster.local', 'ANY')!;
  assert.deepEqual(r.answers.map((a) => a.type).sort(), ['A', 'SRV', 'SRV']);
});

test('names: dashed addresses, reverse names both ways, IPv6 spellings', () => {
  assert.equal(parseDashedIP('1-2-3-4'), '1.2.3.4');
  assert.equal(parseDashedIP('web-0'), undefined);
  assert.equal(reverseName('10.43.0.1'), '1.0.43.10.in-addr.arpa');
  assert.equal(addressOfReverseName('1.0.43.10.in-addr.arpa'), '10.43.0.1');
  assert.equal(addressOfReverseName('01.0.43.10.in-addr.arpa'), undefined);
  assert.equal(addressOfReverseName(reverseName('fd00::1')), 'fd00::1');
  assert.equal(normalizeIP('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  assert.equal(normalizeIP('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
});
