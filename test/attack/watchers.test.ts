// Watches that cannot eat the server: 1,000 watchers of a namespace holding a 1 MB ConfigMap
// that is being updated share one serialised copy of each event (RSS stays bounded), memory
// comes back once they go, and a watcher that stops reading is closed after its queue fills
// and resumes from its last resourceVersion without missing an event.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertHealthy, rssMiB } from './harness.js';

// Before the shared copies, 1,000 watchers of a 640 KB object took the server to 1.58 GB.
const RSS_BOUND_MIB = 600;
// Once the watchers are gone: within this much of the RSS before they came.
const RSS_RETURN_MIB = 150;

let s: TestServer;
let raw: ReturnType<typeof rawClient>;
let agent: https.Agent;
const NS = '/api/v1/namespaces/default/configmaps';
const MB = 1000 * 1000;

before(async () => {
  s = await startServer();
  raw = rawClient(s.kubeconfig);
  const { options } = loadKubeconfig(s.kubeconfig);
  agent = new https.Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true, maxSockets: Infinity });
});
after(async () => {
  agent?.destroy();
  raw?.close();
  await s?.cleanup();
});

interface Watch {
  res: import('node:http').IncomingMessage;
  req: import('node:http').ClientRequest;
  /** Events seen (type and resourceVersion), once `track`; else only counted. */
  events: { type: string; rv: string; name: string }[];
  count: number;
  ended: Promise<void>;
}

/** A watch whose lines are parsed as they come (or left unread while `paused`). */
async function watch(path: string, opts: { paused?: boolean; track?: boolean } = {}): Promise<Watch> {
  const req = https.get({ host: '127.0.0.1', port: s.port, path, agent });
  const res = await new Promise<import('node:http').IncomingMessage>((r, j) => {
    req.once('response', r);
    req.once('error', j);
  });
  assert.equal(res.statusCode, 200);
  const w: Watch = { res, req, events: [], count: 0, ended: new Promise((r) => res.once('close', () => r())) };
  // Chunks of the line in progress; a newline is looked for in each new chunk only.
  let parts: Buffer[] = [];
  res.on('error', () => undefined);
  res.on('data', (d: Buffer) => {
    let from = 0;
    let nl: number;
    while ((nl = d.indexOf(10, from)) >= 0) {
      parts.push(d.subarray(from, nl));
      const line = Buffer.concat(parts);
      parts = [];
      from = nl + 1;
      w.count++;
      if (opts.track) {
        const ev = JSON.parse(line.toString('utf8'));
        w.events.push({ type: ev.type, rv: ev.object.metadata.resourceVersion, name: ev.object.metadata.name });
      }
    }
    if (from < d.length) parts.push(d.subarray(from));
  });
  if (opts.paused) res.pause();
  return w;
}

async function putBig(name: string, fill: string): Promise<string> {
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: fill.repeat(MB) } });
  const r = await raw.request('PUT', `${NS}/${name}`, body);
  assert.equal(r.status, 200, `PUT ${name}: ${r.body.slice(0, 200)}`);
  return r.json().metadata.resourceVersion;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('1,000 watchers of a 1 MB ConfigMap being updated: RSS bounded, back near baseline after', async () => {
  const created = await raw.request(
    'POST',
    NS,
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { v: 'a'.repeat(MB) } }),
  );
  assert.equal(created.status, 201);
  const baseline = rssMiB(s.proc.pid!);
  const watches: Watch[] = [];
  const N = Number(process.env.WATCHERS ?? 1000);
  for (let i = 0; i < N; i += 100)
    watches.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, N) }, () => watch(`${NS}?watch=true&resourceVersion=${created.json().metadata.resourceVersion}`)),
      )),
    );
  let peak = rssMiB(s.proc.pid!);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.proc.pid!))), 100);
  try {
    for (const fill of ['b', 'c']) {
      await putBig('big', fill);
      const t0 = Date.now();
      await until(() => watches.every((w) => w.count >= 'bc'.indexOf(fill) + 1), 240_000, `every watcher to see update ${fill}`);
      if (process.env.DEBUG_ATTACK) console.log('update', fill, Date.now() - t0, 'ms; rss', rssMiB(s.proc.pid!));
      await assertHealthy(s, RSS_BOUND_MIB);
    }
  } finally {
    clearInterval(sampler);
    for (const w of watches) w.req.destroy();
  }
  assert.ok(peak < RSS_BOUND_MIB, `peak RSS ${peak.toFixed(0)} MiB with 1,000 watchers (baseline ${baseline.toFixed(0)} MiB)`);
  // Small requests make the server allocate, so its garbage collector runs and frees the buffers.
  let now = rssMiB(s.proc.pid!);
  // Bounded, but long enough for a loaded machine's collector: RSS comes down when V8 returns pages, not at once.
  for (let i = 0; i < 300 && now > baseline + RSS_RETURN_MIB; i++) {
    await raw.request('GET', `${NS}?limit=1`);
    await new Promise((r) => setTimeout(r, 100));
    now = rssMiB(s.proc.pid!);
  }
  assert.ok(
    now < baseline + RSS_RETURN_MIB,
    `RSS ${now.toFixed(0)} MiB after the watchers left (baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)})`,
  );
  await assertHealthy(s, RSS_BOUND_MIB);
});

const UPDATES = 80;

test('a watcher that stops reading is closed and resumes from its last resourceVersion', async () => {
  const made = await raw.request('POST', NS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'slow' }, data: { v: 'a' } }));
  assert.equal(made.status, 201);
  const first = made.json().metadata.resourceVersion;
  const fast = await watch(`${NS}?watch=true&resourceVersion=${first}&fieldSelector=metadata.name%3Dslow`, { track: true });
  const slow = await watch(`${NS}?watch=true&resourceVersion=${first}&fieldSelector=metadata.name%3Dslow`, { paused: true, track: true });
  const rvs: string[] = [];
  // 16 MiB may wait for a watcher, and the kernel's socket buffers on loopback hold more
  // (the receive side may grow to tcp_rmem's maximum, 32 MiB here): 80 updates of 1 MB
  // are more than all of that together.
  for (let i = 0; i < UPDATES; i++) rvs.push(await putBig('slow', String.fromCharCode(98 + (i % 20))));
  await until(() => fast.events.length >= UPDATES, 60_000, 'the reading watcher to see every update');
  assert.deepEqual(
    fast.events.map((e) => e.rv),
    rvs,
  );
  slow.res.resume();
  await Promise.race([
    slow.ended,
    new Promise((_, j) =>
      setTimeout(
        () =>
          j(
            new Error(
              `the slow watcher was never closed; server log: ${
                s
                  .logs()
                  .split('\n')
                  .filter((l) => /cannot keep up/.test(l))
                  .join(' | ') || 'no watch closed'
              }`,
            ),
          ),
        60_000,
      ),
    ),
  ]);
  assert.ok(slow.events.length < UPDATES, `the slow watcher got all ${slow.events.length} events`);
  const last = slow.events.at(-1)?.rv ?? first;
  const resumed = await watch(`${NS}?watch=true&resourceVersion=${last}&fieldSelector=metadata.name%3Dslow`, { track: true });
  await until(() => slow.events.length + resumed.events.length >= UPDATES, 30_000, 'the resumed watch to catch up').catch((e) => {
    throw new Error(
      `${e.message}: slow saw ${slow.events.length} (last ${last}), resumed ${resumed.events.length}, first ${first}, rvs ${rvs[0]}..${rvs.at(-1)}`,
    );
  });
  assert.deepEqual(
    [...slow.events, ...resumed.events].map((e) => e.rv),
    rvs,
  );
  fast.req.destroy();
  resumed.req.destroy();
  await assertHealthy(s, RSS_BOUND_MIB);
});
