import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { Client } from '../../src/client/client.js';
import { LeaderElector } from '../../src/client/leader-election.js';
import { microTime } from '../../src/util/time.js';
import { CuttableTransport, FakeApi, until } from './fake-api.js';

interface Candidate {
  id: string;
  net: CuttableTransport;
  elector: LeaderElector;
  log: string[];
  signal?: AbortSignal;
  done: Promise<void>;
}

// Short timings keep the test quick; the ratios are the defaults' (15 / 10 / 2).
const timing = { leaseDurationSeconds: 0.6, renewDeadlineSeconds: 0.4, retryPeriodSeconds: 0.05 };

function candidate(api: FakeApi, id: string, leadingNow: () => string[]): Candidate {
  const net = new CuttableTransport(api);
  const c = { id, net, log: [] as string[] } as Candidate;
  c.elector = new LeaderElector({
    leases: new Client(net).leases,
    namespace: 'kube-system',
    name: 'skiff-controller-manager',
    identity: id,
    ...timing,
    onStartedLeading: (signal) => {
      // The safety property: nobody else leads when we start.
      c.log.push(
        `started; others leading: ${
          leadingNow()
            .filter((x) => x !== id)
            .join(',') || 'none'
        }`,
      );
      c.signal = signal;
    },
    onStoppedLeading: () => c.log.push('stopped'),
    onError: () => {},
  });
  c.done = c.elector.run();
  return c;
}

function lease(api: FakeApi): Lease {
  return api.objects.get('leases')!.get('kube-system/skiff-controller-manager') as Lease;
}

test('two candidates: one leads; when it stops renewing the other takes over; release hands over at once', async () => {
  const api = new FakeApi();
  const all: Candidate[] = [];
  const leadingNow = () => all.filter((c) => c.elector.isLeader()).map((c) => c.id);
  all.push(candidate(api, 'a', leadingNow), candidate(api, 'b', leadingNow));
  try {
    await until(() => leadingNow().length === 1, 3000, 'a leader');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(leadingNow().length, 1, 'still exactly one leader after several renewals');
    const [first, second] = (all[0]!.elector.isLeader() ? all : [all[1], all[0]]) as [Candidate, Candidate];
    assert.deepEqual(first.log, ['started; others leading: none']);
    let l = lease(api);
    assert.equal(l.spec?.holderIdentity, first.id);
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.equal(l.spec?.leaseDurationSeconds, 0.6);
    assert.match(l.spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(second.elector.getLeader(), first.id);

    // The leader is cut off: it must give up after renewDeadline, before the other takes over.
    first.net.down = true;
    const cutAt = Date.now();
    await until(() => second.elector.isLeader(), 3000, 'take-over');
    const tookMs = Date.now() - cutAt;
    assert.ok(tookMs >= 350, `took over after ${tookMs} ms, not before the lease could expire`);
    assert.deepEqual(first.log, ['started; others leading: none', 'stopped']);
    assert.equal(first.signal?.aborted, true);
    assert.deepEqual(second.log, ['started; others leading: none']);
    await first.done; // its run() ended with its leadership
    l = lease(api);
    assert.equal(l.spec?.holderIdentity, second.id);
    assert.equal(l.spec?.leaseTransitions, 1);

    // A new candidate waits while the lease is held, and gets it as soon as it is released.
    const third = candidate(api, 'c', leadingNow);
    all.push(third);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(third.elector.isLeader(), false);
    const stopAt = Date.now();
    await second.elector.stop();
    assert.deepEqual(second.log, ['started; others leading: none', 'stopped']);
    await until(() => third.elector.isLeader(), 2000, 'hand-over after release');
    assert.ok(Date.now() - stopAt < 500, 'did not wait for the lease to expire');
    assert.equal(lease(api).spec?.holderIdentity, 'c');
    assert.equal(lease(api).spec?.leaseTransitions, 2);
  } finally {
    await Promise.all(all.map((c) => c.elector.stop()));
  }
});

test('timing is validated and MicroTime has six fractional digits', () => {
  const leases = new Client(new FakeApi()).leases;
  const base = { leases, namespace: 'ns', name: 'l', identity: 'x', onStartedLeading() {}, onStoppedLeading() {} };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 5, renewDeadlineSeconds: 5 }), /greater than renewDeadline/);
  assert.throws(() => new LeaderElector({ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }), /1.2/);
  assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02T03:04:05.678000Z');
});
