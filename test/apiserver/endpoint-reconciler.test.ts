// The reconciler against a real (memory) store, with the apiserver's Endpoints storage
// replaced by one variable: several servers share both, as they share etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../src/api/types.js';
import { EndpointReconciler, MASTER_LEASE_PREFIX } from '../../src/apiserver/endpoint-reconciler.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { kubernetesEndpointSlice } from '../../src/apiserver/kubernetes-endpointslice.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sharedEndpoints() {
  let current: KObject | undefined;
  const writes: string[][] = [];
  const ips = () => ((current as { subsets?: { addresses: { ip: string }[] }[] } | undefined)?.subsets ?? []).flatMap((s) => s.addresses.map((a) => a.ip));
  return {
    ips,
    writes,
    current: () => current,
    write: async (ep: KObject) => {
      current = JSON.parse(JSON.stringify(ep)) as KObject;
      writes.push(ips());
    },
  };
}

async function eventually(what: string, fn: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// Documentation addresses (RFC 5737): only written into objects, never contacted.
const A = '192.0.2.1';
const B = '192.0.2.2';
const DEAD = '192.0.2.9';

test('every live apiserver is listed, in a stable order, without flapping; a crashed one is dropped after the TTL; a stopped one withdraws', async () => {
  const store = new MemoryStore();
  const ep = sharedEndpoints();
  // A record left by a server that crashed before this one started.
  await store.create(`${MASTER_LEASE_PREFIX}${DEAD}:6443`, JSON.stringify({ ip: DEAD, port: 6443 }));
  const opts = { store, current: ep.current, write: ep.write, intervalMs: 50, ttlMs: 400, port: 6443 };
  const b = new EndpointReconciler({ ...opts, address: B });
  const a = new EndpointReconciler({ ...opts, address: A });
  try {
    await b.start();
    // The crashed server's record was seen only now: it gets the TTL before it is judged.
    assert.deepEqual(ep.ips(), [B, DEAD]);
    await a.start();
    assert.deepEqual(ep.ips(), [A, B, DEAD].sort());

    await eventually('the crashed server is dropped', () => !ep.ips().includes(DEAD));
    assert.deepEqual(ep.ips(), [A, B]);
    assert.equal(await store.get(`${MASTER_LEASE_PREFIX}${DEAD}:6443`), null, 'its record is deleted');

    // Both keep renewing for many intervals: nobody rewrites the Endpoints.
    const before = ep.writes.length;
    await sleep(600);
    assert.equal(ep.writes.length, before, `writes meanwhile: ${JSON.stringify(ep.writes.slice(before))}`);
    assert.deepEqual(
      (await store.list(MASTER_LEASE_PREFIX)).items.map((kv) => kv.key),
      [`${MASTER_LEASE_PREFIX}${A}:6443`, `${MASTER_LEASE_PREFIX}${B}:6443`],
    );

    await a.stop();
    assert.deepEqual(ep.ips(), [B]);
    await sleep(300);
    assert.deepEqual(ep.ips(), [B], 'the remaining server does not bring the stopped one back');
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.deepEqual(ep.ips(), []);
  assert.deepEqual((await store.list(MASTER_LEASE_PREFIX)).items, []);
});

test('servers on different ports get one subset per port', async () => {
  const store = new MemoryStore();
  const ep = sharedEndpoints();
  const a = new EndpointReconciler({ store, current: ep.current, write: ep.write, address: A, port: 6443, intervalMs: 1000 });
  const b = new EndpointReconciler({ store, current: ep.current, write: ep.write, address: B, port: 7443, intervalMs: 1000 });
  try {
    await a.start();
    await b.start();
    assert.deepEqual((ep.current() as { subsets: unknown }).subsets, [
      { addresses: [{ ip: A }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      { addresses: [{ ip: B }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] },
    ]);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('the kubernetes EndpointSlice mirrors the Endpoints (service proxies read slices)', () => {
  const slice = kubernetesEndpointSlice(
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
    } as KObject,
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', resourceVersion: '42' } } as KObject,
  );
  assert.deepEqual(slice, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' }, resourceVersion: '42' },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.0.0.1'], conditions: { ready: true } },
      { addresses: ['10.0.0.2'], conditions: { ready: true } },
    ],
    ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
  });
});
