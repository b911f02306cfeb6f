// The userspace proxy mode on loopback only, no root: tiny TCP and UDP servers on 127.0.0.1
// answer with their own name, and the mode's listeners carry connections to them.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { redirectRuleset, type Redirect, type ServiceRedirector } from '../../src/proxy/userspace/redirector.js';
import { UserspaceMode } from '../../src/proxy/userspace/userspace-mode.js';
import type { ServicePortKey } from '../../src/proxy/types.js';
import { ep, snapshot, svcPort } from './proxy-mode-fixtures.js';

const closers: (() => void)[] = [];
after(() =>
  closers.forEach((c) => {
    c();
  }),
);

async function tcpServer(name: string): Promise<number> {
  const server: Server = createServer((s) => {
    s.on('error', () => {});
    s.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

async function udpServer(name: string): Promise<number> {
  const s = createSocket('udp4');
  s.on('message', (msg, r) => s.send(`${name}:${msg}`, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return s.address().port;
}

/** A port nothing listens on (bound and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** One TCP request: the answer, or the error code, with how long it took. */
function request(port: number, host = '127.0.0.1'): Promise<{ answer: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let data = '';
    const done = (answer: string) => {
      s.destroy();
      resolve({ answer, ms: performance.now() - t0 });
    };
    s.setTimeout(3000, () => done('TIMEOUT'));
    s.on('data', (d) => (data += d))
      .on('end', () => done(data || 'CLOSED'))
      .on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'ERROR'));
  });
}

async function requests(port: number, n: number, host?: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await request(port, host)).answer);
  return out;
}

function udpAsk(sock: UdpSocket, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sock.off('message', on);
      resolve('TIMEOUT');
    }, 2000);
    const on = (msg: Buffer) => {
      clearTimeout(timer);
      sock.off('message', on);
      resolve(String(msg));
    };
    sock.on('message', on);
    sock.send(text, port, '127.0.0.1');
  });
}

async function udpClient(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

const web = svcPort('default', 'web', 'http', { clusterIPs: ['10.43.0.10'] });
const changed = (...keys: ServicePortKey[]) => new Set(keys);

test('TCP: strict rotation over the endpoints; a removed endpoint gets nothing; none: closed at once', async () => {
  const [a, b] = [await tcpServer('A'), await tcpServer('B')];
  const mode = new UserspaceMode();
  try {
    await mode.sync(snapshot(['127.0.0.1'], [[web, [ep('127.0.0.1', a), ep('127.0.0.1', b)]]]), 'all');
    const addr = mode.addressOf(web.key)!;
    assert.equal(addr.host, '127.0.0.1');
    assert.deepEqual(
      await requests(addr.port, 20),
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'A' : 'B')),
    );

    await mode.sync(snapshot(['127.0.0.1'], [[web, [ep('127.0.0.1', b)]]]), changed(web.key));
    assert.equal(mode.addressOf(web.key)!.port, addr.port, 'the loopback port stays with the service port');
    assert.deepEqual(await requests(addr.port, 6), ['B', 'B', 'B', 'B', 'B', 'B']);

    await mode.sync(snapshot(['127.0.0.1'], [[web, []]]), changed(web.key));
    const none = await request(addr.port);
    assert.ok(['ECONNRESET', 'CLOSED'].includes(none.answer), none.answer);
    assert.ok(none.ms < 500, `closed at once, took ${none.ms} ms`);

    // Not ready endpoints do not count; serving-terminating ones do when nothing is ready.
    await mode.sync(
      snapshot(
        ['127.0.0.1'],
        [[web, [ep('127.0.0.1', a, { ready: false, serving: true, terminating: true }), ep('127.0.0.1', b, { ready: false, serving: false })]]],
      ),
      changed(web.key),
    );
    assert.deepEqual(await requests(addr.port, 3), ['A', 'A', 'A']);

    // The Service goes: its listener closes.
    await mode.sync(snapshot(['127.0.0.1'], []), changed(web.key));
    assert.equal(mode.addressOf(web.key), undefined);
    assert.equal((await request(addr.port)).answer, 'ECONNREFUSED');
  } finally {
    await mode.stop();
  }
});

test('TCP: an endpoint whose connect fails is skipped for the next one', async () => {
  const [a, b, dead] = [await tcpServer('A'), await tcpServer('B'), await freePort()];
  const mode = new UserspaceMode();
  try {
    await mode.sync(snapshot([], [[web, [ep('127.0.0.1', dead), ep('127.0.0.1', a), ep('127.0.0.1', b)]]]), 'all');
    // Rotation dead→A→B: the dead turn falls through to A, so answers still alternate.
    const got = await requests(mode.addressOf(web.key)!.port, 8);
    assert.deepEqual(got, ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B']);
  } finally {
    await mode.stop();
  }
});

test('TCP: sessionAffinity ClientIP pins a client to one endpoint until the pin expires', async () => {
  const [a, b] = [await tcpServer('A'), await tcpServer('B')];
  const sticky = svcPort('default', 'sticky', 'http', { clusterIPs: ['10.43.0.11'], affinityTimeoutSeconds: 0.3 });
  const mode = new UserspaceMode();
  try {
    await mode.sync(snapshot([], [[sticky, [ep('127.0.0.1', a), ep('127.0.0.1', b)]]]), 'all');
    const port = mode.addressOf(sticky.key)!.port;
    const pinned = await requests(port, 10);
    assert.deepEqual(pinned, Array(10).fill('A'));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await request(port)).answer, 'B', 'after the timeout the rotation continues');
  } finally {
    await mode.stop();
  }
});

test('NodePort on the node addresses; externalTrafficPolicy Local without a local endpoint refuses there', async () => {
  const [a, nodePort] = [await tcpServer('A'), await freePort()];
  const np = svcPort('default', 'np', 'http', { clusterIPs: ['10.43.0.12'], nodePort });
  const mode = new UserspaceMode();
  try {
    await mode.sync(snapshot(['127.0.0.1'], [[np, [ep('127.0.0.1', a)]]]), 'all');
    assert.deepEqual(await requests(nodePort, 2), ['A', 'A']);
    const local = { ...np, externalTrafficPolicyLocal: true };
    await mode.sync(snapshot(['127.0.0.1'], [[local, [ep('127.0.0.1', a, { isLocal: false })]]]), changed(np.key));
    assert.ok(['ECONNRESET', 'CLOSED'].includes((await request(nodePort)).answer));
    assert.equal((await request(mode.addressOf(np.key)!.port)).answer, 'A', 'the cluster listener still uses every endpoint');
    await mode.sync(snapshot(['127.0.0.1'], [[local, [ep('127.0.0.1', a, { isLocal: true })]]]), changed(np.key));
    assert.equal((await request(nodePort)).answer, 'A');
    // NodePort removed: its listener closes.
    await mode.sync(snapshot(['127.0.0.1'], [[{ ...np, nodePort: undefined }, [ep('127.0.0.1', a)]]]), changed(np.key));
    assert.equal((await request(nodePort)).answer, 'ECONNREFUSED');
  } finally {
    await mode.stop();
  }
});

test('UDP: each new client session goes to the next endpoint; a session sticks; idle sessions end', async () => {
  const [a, b] = [await udpServer('A'), await udpServer('B')];
  const dns = svcPort('kube-system', 'dns', 'dns', { clusterIPs: ['10.43.0.10'], protocol: 'UDP', port: 53 });
  const mode = new UserspaceMode({ udpIdleTimeoutMs: 200 });
  const clients: UdpSocket[] = [];
  try {
    await mode.sync(snapshot([], [[dns, [ep('127.0.0.1', a), ep('127.0.0.1', b)]]]), 'all');
    const port = mode.addressOf(dns.key)!.port;
    const got: string[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await udpClient();
      clients.push(c);
      got.push(await udpAsk(c, port, `q${i}`));
      // One client keeps its endpoint while the session lives (asked at once, so a loaded machine cannot idle it out).
      if (i === 0) assert.deepEqual([await udpAsk(c, port, 'x'), await udpAsk(c, port, 'y')], ['A:x', 'A:y']);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `${i % 2 === 0 ? 'A' : 'B'}:q${i}`),
    );
    const c = clients[0]!;
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(await udpAsk(c, port, 'z'), 'A:z', 'after the idle timeout a new session: next in turn is A (20 sessions so far)');
    // An endpoint leaves: its live sessions end and their next datagrams go to the other one.
    const c2 = await udpClient();
    clients.push(c2);
    assert.equal(await udpAsk(c2, port, 'u'), 'B:u');
    await mode.sync(snapshot([], [[dns, [ep('127.0.0.1', a)]]]), changed(dns.key));
    assert.equal(await udpAsk(c2, port, 'w'), 'A:w');
    // No endpoints: datagrams are dropped.
    await mode.sync(snapshot([], [[dns, []]]), changed(dns.key));
    const c3 = await udpClient();
    clients.push(c3);
    assert.equal(await udpAsk(c3, port, 'v'), 'TIMEOUT');
  } finally {
    clients.forEach((s) => {
      s.close();
    });
    await mode.stop();
  }
});

test('redirector: cluster IPs are handed to the loopback listeners; cleanup removes them', async () => {
  const a = await tcpServer('A');
  const seen: Redirect[][] = [];
  let cleaned = false;
  const recorder: ServiceRedirector = { sync: async (r) => void seen.push([...r]), cleanup: async () => void (cleaned = true) };
  const dns = svcPort('kube-system', 'dns', 'dns', { clusterIPs: ['10.43.0.10'], protocol: 'UDP', port: 53 });
  const headless = svcPort('default', 'headless', 'http', { clusterIPs: [] });
  const mode = new UserspaceMode({ redirector: recorder });
  await mode.sync(
    snapshot(
      [],
      [
        [web, [ep('127.0.0.1', a)]],
        [dns, []],
        [headless, [ep('127.0.0.1', a)]],
      ],
    ),
    'all',
  );
  assert.deepEqual(seen.at(-1), [
    { protocol: 'TCP', ip: '10.43.0.10', port: 80, toPort: mode.addressOf(web.key)!.port },
    { protocol: 'UDP', ip: '10.43.0.10', port: 53, toPort: mode.addressOf(dns.key)!.port },
  ]);
  assert.equal(mode.addressOf(headless.key), undefined, 'headless services get no listener');
  await mode.cleanup();
  assert.ok(cleaned);
  assert.equal(
    redirectRuleset([{ protocol: 'TCP', ip: '10.43.0.10', port: 80, toPort: 41000 }])
      .split('\n')
      .at(-2),
    'add rule ip skiff-userspace redirects ip daddr 10.43.0.10 tcp dport 80 dnat to 127.0.0.1:41000',
  );
});
