// A store outage (a real etcd, stopped and started again): /readyz fails within 5 s naming
// the etcd check, /livez stays up, writes answer 503/504 with a Status (never 500), and
// everything recovers within 5 s of etcd's return with no acknowledged write lost.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etcdBinary, startEtcd, type RunningEtcd } from '../helpers/etcd.js';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertHealthy, probe } from './harness.js';

const RSS_BOUND_MIB = 600;
const skip = etcdBinary() ? false : 'etcd is not installed';

let etcd: RunningEtcd;
let s: TestServer;
let raw: ReturnType<typeof rawClient>;
const CMS = '/api/v1/namespaces/default/configmaps';

before(async () => {
  if (skip) return;
  etcd = await startEtcd();
  s = await startServer({ args: ['--datastore-endpoint', etcd.endpoint] });
  raw = rawClient(s.kubeconfig);
});
after(async () => {
  raw?.close();
  await s?.cleanup();
  await etcd?.stop();
});

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: name } });

test('etcd stopped: unready within 5 s, live, writes 503/504; back within 5 s of its return', { skip }, async () => {
  const acknowledged: string[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal((await raw.request('POST', CMS, cm(`before-${i}`))).status, 201);
    acknowledged.push(`before-${i}`);
  }
  const verbose = await probe(s.port, '/readyz?verbose');
  assert.equal(verbose.status, 200);
  assert.match(verbose.body, /^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd ok\n.*readyz check passed\n$/s);

  let etcdBack = 0;
  const down = etcd.restart(15_000).then(() => (etcdBack = Date.now()));
  const stoppedAt = Date.now();
  const unready = await until('/readyz failing', 5_000, async () => {
    const r = await probe(s.port, '/readyz', 3000);
    return r.status === 500 ? r : undefined;
  });
  assert.ok(Date.now() - stoppedAt < 5_000);
  assert.match(unready.value.body, /\[-\]etcd failed: reason withheld\n/);
  assert.match(unready.value.body, /readyz check failed\n$/);
  assert.equal((await probe(s.port, '/readyz/etcd', 3000)).status, 500);
  const live = await probe(s.port, '/livez', 1000);
  assert.equal(live.status, 200);

  // A write while etcd is gone: a Status with 503 (or 504 when the deadline passed), never 500.
  const w = await raw.request('POST', CMS, cm('during'));
  assert.ok(w.status === 503 || w.status === 504, `write during the outage: ${w.status} ${w.body}`);
  assert.equal(w.json().kind, 'Status');
  assert.equal(w.json().reason, w.status === 503 ? 'ServiceUnavailable' : 'Timeout');

  await down;
  const ready = await until('/readyz passing again', 5_000, async () => {
    const r = await probe(s.port, '/readyz', 1000);
    return r.status === 200 ? r : undefined;
  });
  assert.ok(Date.now() - etcdBack < 5_000, `ready ${Date.now() - etcdBack} ms after etcd returned`);
  void ready;
  const created = await until('a write succeeding again', 5_000, async () => {
    const r = await raw.request('POST', CMS, cm('after'));
    return r.status === 201 ? r : undefined;
  });
  assert.ok(created.ms < 5_000);
  acknowledged.push('after');
  const list = (await raw.request('GET', CMS)).json();
  const names = new Set(list.items.map((i: { metadata: { name: string } }) => i.metadata.name));
  for (const n of acknowledged) assert.ok(names.has(n), `acknowledged ConfigMap ${n} is missing`);
  await assertHealthy(s, RSS_BOUND_MIB);
});
