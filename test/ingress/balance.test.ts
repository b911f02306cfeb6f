// The balancing policies on their own and through the endpoint picker: the annotation's
// values, round robin's rotation, least-requests following requests in flight, ewma following
// response times, ties rotating, and ejected endpoints skipped whatever the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { choose, LoadTracker, parsePolicy } from '../../src/ingress/balance.js';
import { EndpointPicker, type Upstream } from '../../src/ingress/endpoints.js';

const pool = ['a', 'b', 'c'].map((key) => ({ key }));

test('parsePolicy: the three policies, ingress-nginx spelling, round robin when unset, undefined for others', () => {
  assert.equal(parsePolicy(undefined), 'round-robin');
  assert.equal(parsePolicy(''), 'round-robin');
  assert.equal(parsePolicy('least-requests'), 'least-requests');
  assert.equal(parsePolicy('round_robin'), 'round-robin');
  assert.equal(parsePolicy(' EWMA '), 'ewma');
  assert.equal(parsePolicy('random'), undefined);
  assert.equal(parsePolicy('least_conn'), undefined);
});

test('round robin takes the turn modulo the pool, whatever is in flight', () => {
  const load = new LoadTracker();
  for (let i = 0; i < 10; i++) load.begin('a');
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => choose('round-robin', pool, t, load)),
    [0, 1, 2, 0, 1],
  );
});

test('least-requests picks the endpoint with fewest in flight; equal ones rotate with the turn', () => {
  const load = new LoadTracker();
  load.begin('a');
  load.begin('a');
  load.begin('b');
  assert.equal(choose('least-requests', pool, 0, load), 2);
  assert.equal(choose('least-requests', pool, 1, load), 2);
  load.begin('c');
  load.begin('c');
  // b (1) is now the least loaded.
  assert.equal(choose('least-requests', pool, 0, load), 1);
  load.end('a');
  load.end('a');
  assert.equal(choose('least-requests', pool, 2, load), 0);
  // All idle: the turn decides, so idle endpoints share the load.
  const idle = new LoadTracker();
  assert.deepEqual(
    [0, 1, 2].map((t) => choose('least-requests', pool, t, idle)),
    [0, 1, 2],
  );
  // end() never goes below zero.
  idle.end('a');
  assert.equal(idle.inFlight('a'), 0);
});

test('ewma prefers the faster endpoint, weighted by what is in flight, and tries unmeasured ones first', () => {
  let now = 0;
  const load = new LoadTracker(() => now);
  load.observe('a', 100);
  load.observe('b', 10);
  // c was never measured: it goes first.
  assert.equal(choose('ewma', pool, 0, load), 2);
  load.observe('c', 50);
  assert.equal(choose('ewma', pool, 0, load), 1);
  // b's 10 ms × (5 + 1) in flight = 60 > c's 50 ms × 1.
  for (let i = 0; i < 5; i++) load.begin('b');
  assert.equal(choose('ewma', pool, 0, load), 2);
  // b turns slow: its average follows its latest answers.
  for (let i = 0; i < 5; i++) load.end('b');
  now = 1_000;
  for (let i = 0; i < 10; i++) load.observe('b', 500);
  assert.ok(load.averageMs('b') > 400, `average ${load.averageMs('b')}`);
  assert.equal(choose('ewma', pool, 0, load), 2);
});

const service: Service = { metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
const slices: EndpointSlice[] = [
  {
    metadata: { name: 's-1', namespace: 'default' },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  },
];

test('the picker under least-requests spreads concurrent requests and skips an ejected endpoint', () => {
  const picker = new EndpointPicker({ service: () => service, slices: () => slices }, { maxFailures: 1, ejectMs: 60_000 });
  const r = picker.resolve({ namespace: 'default', service: 's', port: 80 });
  assert.ok(r.ok);
  const held: Upstream[] = [];
  for (let i = 0; i < 6; i++) {
    const up: Upstream = picker.next('k', r.upstreams, undefined, 'least-requests')!;
    picker.load.begin(up.key);
    held.push(up);
  }
  const counts = (ups: Upstream[]) => {
    const m: Record<string, number> = {};
    for (const u of ups) m[u.key] = (m[u.key] ?? 0) + 1;
    return m;
  };
  assert.deepEqual(counts(held), { '10.0.0.1:8080': 2, '10.0.0.2:8080': 2, '10.0.0.3:8080': 2 });
  // Two requests on .1 end: the next two go there, though round robin would go elsewhere.
  picker.load.end('10.0.0.1:8080');
  picker.load.end('10.0.0.1:8080');
  for (let i = 0; i < 2; i++) {
    const up: Upstream = picker.next('k', r.upstreams, undefined, 'least-requests')!;
    assert.equal(up.key, '10.0.0.1:8080');
    picker.load.begin(up.key);
  }
  // An ejected endpoint is out of the pool even when it is the least loaded.
  for (const k of ['10.0.0.1:8080', '10.0.0.1:8080']) picker.load.end(k);
  picker.connectFailed('10.0.0.1:8080');
  for (let i = 0; i < 4; i++) assert.notEqual(picker.next('k', r.upstreams, undefined, 'least-requests')!.key, '10.0.0.1:8080');
});

test('resolve follows replaced objects: another slice, another Service port, the Service gone and back', () => {
  const svc = (port: number): Service => ({ metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ name: 'http', port, protocol: 'TCP' }] } });
  const sl = (name: string, ip: string, port: number): EndpointSlice => ({
    metadata: { name },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  });
  let service: Service | undefined = svc(80);
  let slices = [sl('a', '10.0.0.1', 8080)];
  const picker = new EndpointPicker({ service: () => service, slices: () => slices });
  const keys = (port: number) => {
    const r = picker.resolve({ namespace: 'default', service: 's', port });
    return r.ok ? r.upstreams.map((u) => u.key) : r.reason;
  };
  assert.deepEqual(keys(80), ['10.0.0.1:8080']);
  assert.deepEqual(keys(80), ['10.0.0.1:8080']);
  slices = [sl('a', '10.0.0.1', 8080), sl('b', '10.0.0.2', 8080)];
  assert.deepEqual(keys(80), ['10.0.0.1:8080', '10.0.0.2:8080']);
  slices = [slices[0]!, sl('b', '10.0.0.3', 8080)];
  assert.deepEqual(keys(80), ['10.0.0.1:8080', '10.0.0.3:8080']);
  service = svc(81);
  assert.match(String(keys(80)), /has no port 80/);
  assert.deepEqual(keys(81), ['10.0.0.1:8080', '10.0.0.3:8080']);
  service = undefined;
  assert.match(String(keys(81)), /does not exist/);
  service = svc(81);
  slices = [];
  assert.match(String(keys(81)), /no ready endpoints/);
});
