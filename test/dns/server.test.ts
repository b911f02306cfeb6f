// The DNS server on 127.0.0.1, asked by Debian's dig and by raw packets: UDP, TCP, EDNS0,
// truncation and the TCP retry, malformed input, forwarding with its cache, timeouts,
// stub domains and loop detection, metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { ResponseCache } from '../../src/dns/cache.js';
import { Forwarder } from '../../src/dns/forwarder.js';
import { DnsMetrics, serveMetrics } from '../../src/dns/metrics.js';
import { ClusterZone } from '../../src/dns/records.js';
import { CidrSet } from '../../src/dns/names.js';
import { DnsServer } from '../../src/dns/server.js';
import type { UpstreamConfig } from '../../src/dns/upstreams.js';
import { answerLines, ask, dig, DIG_MISSING, rawUdp, startTestUpstream, status, type TestUpstream } from '../helpers/dns.js';
import { arrayView, service, slice } from './fake-view.js';

const HOST = '127.0.0.1';
const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};

const services = [
  service('default', 'kubernetes', { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
  service('big', 'many', { clusterIP: 'None', ports: [{ name: 'web', port: 80, protocol: 'TCP' }] }),
];
const slices = [
  slice(
    'big',
    'many',
    Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.3.${i + 1}`], conditions: { ready: true } })),
  ),
];

describe('DNS server', { skip: DIG_MISSING }, () => {
  let upstream: TestUpstream;
  let stub: TestUpstream;
  let server: DnsServer;
  let port: number;
  let metrics: DnsMetrics;
  let config: UpstreamConfig;
  const errors: string[] = [];

  before(async () => {
    upstream = await startTestUpstream({ host: '127.0.0.1', ttl: 60 });
    stub = await startTestUpstream({ host: '127.0.0.1', domain: 'acme.local', address: '192.0.2.99' });
    config = { servers: [{ host: upstream.host, port: upstream.port }], stubDomains: new Map() };
    metrics = new DnsMetrics();
    const log = { ...quiet, error: (m: string, f?: Record<string, unknown>) => errors.push(`${m} ${JSON.stringify(f)}`) };
    server = new DnsServer({
      zone: new ClusterZone(arrayView(services, slices), { domain: 'cluster.local' }),
      forwarder: new Forwarder({ timeoutMs: 1500, attemptTimeoutMs: 700, cache: new ResponseCache({ maxNegativeEntries: 50 }) }),
      upstreams: () => config,
      metrics,
      log,
    });
    port = await server.listen([HOST], 0);
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await stub.close();
  });

  test('UDP and TCP answers for cluster names, NXDOMAIN with SOA, AA set', async () => {
    const udp = await dig(HOST, port, ['kubernetes.default.svc.cluster.local', 'A']);
    assert.equal(status(udp.stdout), 'NOERROR', udp.stdout);
    assert.match(answerLines(udp.stdout)[0]!, /^kubernetes\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+10\.43\.0\.1$/);
    assert.match(udp.stdout, /flags: qr aa rd ra/);
    const tcp = await dig(HOST, port, ['+tcp', 'KUBERNETES.default.svc.cluster.local', 'A']);
    assert.match(answerLines(tcp.stdout)[0]!, /^KUBERNETES\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+10\.43\.0\.1$/);
    const nx = await dig(HOST, port, ['missing.default.svc.cluster.local', 'A']);
    assert.equal(status(nx.stdout), 'NXDOMAIN');
    assert.match(
      nx.stdout,
      /AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5/,
    );
    const txt = await dig(HOST, port, ['dns-version.cluster.local', 'TXT', '+short']);
    assert.equal(txt.stdout.trim(), '"1.1.0"');
  });

  test('answers kept encoded: each asker gets its ID and spelling; after a cluster change the next question sees it', async () => {
    const name = 'later.default.svc.cluster.local';
    for (let i = 0; i < 2; i++) assert.equal((await ask(HOST, port, name))?.rcode, 'NXDOMAIN');
    services.push(service('default', 'later', { clusterIP: '10.43.0.77', ports: [] }));
    try {
      server.invalidate();
      assert.deepEqual((await ask(HOST, port, name))?.data, ['10.43.0.77']);
      const id = 0xbeef;
      const reply = await rawUdp(
        HOST,
        port,
        dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'LATER.Default.svc.cluster.local', type: 'A' }] }),
      );
      const d = dnsPacket.decode(reply!);
      assert.equal(d.id, id);
      assert.equal(d.questions![0]!.name, 'LATER.Default.svc.cluster.local');
      assert.deepEqual(
        d.answers!.map((a) => `${a.name} ${(a as { data: string }).data}`),
        ['LATER.Default.svc.cluster.local 10.43.0.77'],
      );
    } finally {
      services.pop();
      server.invalidate();
    }
    assert.equal((await ask(HOST, port, name))?.rcode, 'NXDOMAIN');
  });

  test('EDNS0: the OPT record is echoed with our buffer size; without EDNS none comes back', async () => {
    const e = await dig(HOST, port, ['+bufsize=4096', 'kubernetes.default.svc.cluster.local']);
    assert.match(e.stdout, /EDNS: version: 0, flags:; udp: 1232/);
    const plain = await dig(HOST, port, ['+noedns', 'kubernetes.default.svc.cluster.local']);
    assert.doesNotMatch(plain.stdout, /EDNS:/);
    const badvers = await dig(HOST, port, ['+edns=1', '+noednsnegotiation', 'kubernetes.default.svc.cluster.local']);
    assert.equal(status(badvers.stdout), 'BADVERS');
  });

  test('over 512 bytes (or the EDNS0 size) the answer is truncated; dig retries over TCP and gets all of it', async () => {
    const tc = await dig(HOST, port, ['+noedns', '+ignore', 'many.big.svc.cluster.local']);
    assert.match(tc.stdout, /flags: qr aa tc rd ra/);
    assert.equal(answerLines(tc.stdout).length, 0);
    const retried = await dig(HOST, port, ['+noedns', 'many.big.svc.cluster.local']);
    assert.match(retried.stdout, /Truncated, retrying in TCP mode/);
    assert.equal(answerLines(retried.stdout).length, 60);
    // A big enough EDNS0 buffer takes it over UDP at once.
    const big = await dig(HOST, port, ['+bufsize=4096', '+ignore', 'many.big.svc.cluster.local']);
    assert.doesNotMatch(big.stdout, /flags: [a-z ]*tc/);
    assert.equal(answerLines(big.stdout).length, 60);
  });

  test('malformed packets: dropped or FORMERR, never a crash', async () => {
    const q = dnsPacket.encode({
      id: 7,
      type: 'query',
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: 'kubernetes.default.svc.cluster.local', type: 'A' }],
    });
    // Shorter than a header: nothing to answer.
    assert.equal(await rawUdp(HOST, port, Buffer.from([1, 2, 3, 4, 5])), undefined);
    // Two questions: FORMERR.
    const two = dnsPacket.encode({
      id: 8,
      type: 'query',
      questions: [
        { name: 'a.cluster.local', type: 'A' },
        { name: 'b.cluster.local', type: 'A' },
      ],
    });
    const r2 = await rawUdp(HOST, port, two);
    assert.equal(r2!.readUInt16BE(0), 8);
    assert.equal(r2!.readUInt16BE(2) & 0xf, 1);
    // A compression pointer in the question pointing at itself: FORMERR.
    const loop = Buffer.from(q);
    loop[12] = 0xc0;
    loop[13] = 12;
    assert.equal((await rawUdp(HOST, port, loop))!.readUInt16BE(2) & 0xf, 1);
    // Question cut short.
    assert.equal((await rawUdp(HOST, port, q.subarray(0, 20)))!.readUInt16BE(2) & 0xf, 1);
    // A response is not a query: dropped (no reflection).
    const resp = Buffer.from(q);
    resp.writeUInt16BE(0x8000, 2);
    assert.equal(await rawUdp(HOST, port, resp), undefined);
    // An unknown opcode: NOTIMP.
    const notify = Buffer.from(q);
    notify.writeUInt16BE(4 << 11, 2);
    assert.equal((await rawUdp(HOST, port, notify))!.readUInt16BE(2) & 0xf, 4);
    // Random garbage, many times.
    for (let i = 0; i < 300; i++) {
      const junk = Buffer.alloc(12 + (i % 60));
      for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 17) & 0xff;
      junk[2] = junk[2]! & 0x7f;
      await rawUdp(HOST, port, junk, 20);
    }
    // Still answering.
    const ok = await rawUdp(HOST, port, q);
    assert.equal((dnsPacket.decode(ok!).answers![0] as { data: string }).data, '10.43.0.1');
  });

  test('TCP: a 64 KiB message closes the connection; the server answers the next one', async () => {
    const closed = await new Promise<boolean>((res) => {
      const s = net.connect(port, HOST, () => {
        const big = Buffer.alloc(65537);
        big.writeUInt16BE(65535, 0);
        s.write(big);
      });
      s.on('error', () => {});
      s.on('close', () => res(true));
      setTimeout(() => {
        s.destroy();
        res(false);
      }, 3000);
    });
    assert.ok(closed);
    const r = await dig(HOST, port, ['+tcp', 'kubernetes.default.svc.cluster.local', '+short']);
    assert.equal(r.stdout.trim(), '10.43.0.1');
  });

  test('names outside the zone go upstream; the answer is cached with its TTL counting down', async () => {
    const r = await dig(HOST, port, ['www.example.test', 'A']);
    assert.equal(status(r.stdout), 'NOERROR', r.stdout);
    assert.match(answerLines(r.stdout)[0]!, /^www\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.1$/);
    assert.doesNotMatch(r.stdout, /flags: qr aa/);
    await new Promise((res) => setTimeout(res, 1100));
    const again = await dig(HOST, port, ['WWW.example.test', 'A']);
    // Owner names compare without case (this upstream does not compress, so its spelling stays).
    const aged = /^www\.example\.test\.\s+(\d+)\s+IN\s+A\s+192\.0\.2\.1$/i.exec(answerLines(again.stdout)[0]!);
    assert.ok(aged && Number(aged[1]) >= 50 && Number(aged[1]) <= 59, `TTL counted down from 60: ${again.stdout}`);
    assert.match(again.stdout, /QUESTION SECTION:\n;WWW\.example\.test\./);
    assert.equal(upstream.queries.get('www.example.test'), 1);
    // Negative answers are cached too (for the SOA's negative TTL).
    assert.equal(status((await dig(HOST, port, ['nxname.example.test'])).stdout), 'NXDOMAIN');
    assert.equal(status((await dig(HOST, port, ['nxname.example.test'])).stdout), 'NXDOMAIN');
    assert.equal(upstream.queries.get('nxname.example.test'), 1);
    // Big upstream answers: truncated for a plain client, whole over TCP (fetched upstream over TCP too).
    const many = await dig(HOST, port, ['+noedns', 'many.example.test', 'TXT']);
    assert.match(many.stdout, /Truncated, retrying in TCP mode/);
    assert.equal(answerLines(many.stdout).length, 40);
  });

  test('a silent upstream yields SERVFAIL after the timeout, not a hang', async () => {
    const t0 = Date.now();
    const r = await dig(HOST, port, ['+time=5', 'silent.example.test']);
    assert.equal(status(r.stdout), 'SERVFAIL');
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
  });

  test('stub domains send their names to their own servers, applied at once', async () => {
    assert.equal(status((await dig(HOST, port, ['www.acme.local'])).stdout), 'REFUSED');
    config = { ...config, stubDomains: new Map([['acme.local', [{ host: stub.host, port: stub.port }]]]) };
    const r = await dig(HOST, port, ['www.acme.local', '+short']);
    assert.equal(r.stdout.trim(), '192.0.2.99');
    config = { ...config, stubDomains: new Map() };
  });

  test('random names: the negative cache stays bounded', async () => {
    const sock = dgram.createSocket('udp4');
    let answered = 0;
    sock.on('message', () => answered++);
    for (let i = 0; i < 400; i++) {
      const q = dnsPacket.encode({
        id: i,
        type: 'query',
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name: `nx${i}-${Math.random().toString(36).slice(2)}.example.test`, type: 'A' }],
      });
      sock.send(q, port, HOST);
      if (i % 50 === 49) await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((res) => setTimeout(res, 500));
    sock.close();
    // (A loaded machine may drop some datagrams on the client's side; most come back.)
    assert.ok(answered > 200, `answered ${answered} of 400`);
    const forwarder = (server as unknown as { opts: { forwarder: Forwarder } }).opts.forwarder;
    assert.ok(forwarder.cache.size.negative <= 50, `negative cache holds ${forwarder.cache.size.negative}`);
  });

  test('an upstream that is our own listener is a loop: detected, reported, not followed', async () => {
    const self = { host: HOST, port };
    config = { ...config, stubDomains: new Map([['loop.test', [self]]]) };
    server.probeLoops([self]);
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(
      errors.some((e) => e.includes('forwarding loop detected')),
      errors.join('\n'),
    );
    assert.deepEqual(server.loopingUpstreams(), [`${HOST}:${port}`]);
    const r = await dig(HOST, port, ['www.loop.test']);
    assert.equal(status(r.stdout), 'SERVFAIL');
    config = { ...config, stubDomains: new Map() };
  });

  test('recursion only for the configured clients: others get REFUSED for outside names, cluster names still', async () => {
    const local = new DnsServer({
      zone: new ClusterZone(arrayView(services, slices), { domain: 'cluster.local' }),
      forwarder: new Forwarder({ timeoutMs: 1000 }),
      upstreams: () => config,
      metrics: new DnsMetrics(),
      log: quiet,
      recursionClients: () => new CidrSet(['10.42.0.0/16']),
    });
    const p = await local.listen([HOST], 0);
    try {
      assert.equal(status((await dig(HOST, p, ['www.example.test'])).stdout), 'REFUSED');
      assert.equal((await dig(HOST, p, ['kubernetes.default.svc.cluster.local', '+short'])).stdout.trim(), '10.43.0.1');
    } finally {
      await local.close();
    }
  });

  test('the table of questions in flight is bounded: beyond it, SERVFAIL at once', async () => {
    const f = new Forwarder({ timeoutMs: 1500, maxInFlight: 2 });
    const silent = { host: upstream.host, port: upstream.port };
    const q = (name: string) => ({
      id: 1,
      recursionDesired: true,
      name,
      type: 1,
      typeName: 'A',
      class: 1,
      question: dnsPacket.encode({ type: 'query', id: 0, questions: [{ name, type: 'A' }] }).subarray(12),
    });
    const slow = [f.forward(q('silent.example.test'), [silent]), f.forward(q('SILENT.example.test'), [silent])];
    assert.equal(f.inFlightCount, 1, 'one upstream question for the same name asked twice');
    const second = f.forward(q('x.silent.example.test'), [silent]);
    const t0 = Date.now();
    const third = await f.forward(q('y.silent.example.test'), [silent]);
    assert.deepEqual([third.ok, Date.now() - t0 < 100], [false, true]);
    assert.match((third as { reason: string }).reason, /too many questions in flight/);
    const done = await Promise.all([...slow, second]);
    assert.ok(done.every((r) => !r.ok && r.rcode === 2));
    f.close();
  });

  test("metrics under CoreDNS's names", async () => {
    const m = await serveMetrics(metrics, HOST, 0, quiet);
    try {
      const text = await (await fetch(`http://${HOST}:${m.port}/metrics`)).text();
      assert.match(text, /coredns_dns_requests_total\{server="dns:\/\/:\d+",zone="\.",proto="udp",family="1",type="A"\} \d+/);
      assert.match(text, /coredns_dns_responses_total\{server="dns:\/\/:\d+",zone="\.",rcode="NXDOMAIN",plugin="kubernetes"\} \d+/);
      assert.match(text, /coredns_dns_request_duration_seconds_bucket/);
      assert.match(text, /coredns_cache_hits_total\{server="dns:\/\/:\d+",type="success",zones="\."\} [1-9]/);
      assert.match(text, /coredns_cache_misses_total/);
    } finally {
      await m.close();
    }
  });
});
