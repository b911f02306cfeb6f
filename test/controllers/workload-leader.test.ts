import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transport } from '../../src/client/transport.js';
import { Client } from '../../src/client/client.js';
import { startLeaderElectedControllers } from '../../src/controllers/manager.js';
import type { ResourceRegistry } from '../../src/api/registry.js';
import { TestApi } from '../apiserver/setup.js';
import { eventually, quietLog } from './workload-harness.js';

/** A transport that can be cut, as a crashed process's connections are. */
function cuttable(inner: Transport): { transport: Transport; cut(): void } {
  let dead = false;
  const watches: { stop(): void }[] = [];
  return {
    transport: {
      request: (o) => (dead ? Promise.reject(new Error('connection refused')) : inner.request(o)),
      watch: (p, q, h) => {
        if (dead) {
          setImmediate(() => h.onClose(new Error('connection refused')));
          return { stop() {} };
        }
        const w = inner.watch(p, q, {
          onEvent: (e) => {
            if (!dead) h.onEvent(e);
          },
          onClose: (e) => h.onClose(e),
        });
        watches.push(w);
        return w;
      },
    },
    cut() {
      dead = true;
      for (const w of watches) w.stop();
    },
  };
}

test('leader election: one active controller manager; the other takes over within 15 s of its death', { timeout: 40_000 }, async () => {
  const t = await TestApi.start('memory');
  const registry = (t.api as unknown as { opts: { registry: ResourceRegistry } }).opts.registry;
  const a = cuttable(t.api.transport());
  const clientA = new Client(a.transport);
  const client = new Client(t.api.transport());
  const mA = startLeaderElectedControllers(clientA, registry, quietLog, { identity: 'a', enabled: ['replicaset'] });
  await eventually(() => mA.isLeader() && mA.current(), 5000, 'a leads');
  const mB = startLeaderElectedControllers(client, registry, quietLog, { identity: 'b', enabled: ['replicaset'] });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(mB.isLeader(), false, 'b waits while a holds the lease');
    const lease = await client.leases.get('kube-controller-manager', 'kube-system');
    assert.equal(lease.spec!.holderIdentity, 'a');

    a.cut();
    const died = Date.now();
    await eventually(() => mB.isLeader() && mB.current(), 16_000, 'b takes over');
    const took = (Date.now() - died) / 1000;
    assert.ok(took <= 15, `takeover took ${took} s`);
    const after = await client.leases.get('kube-controller-manager', 'kube-system');
    assert.equal(after.spec!.holderIdentity, 'b');
    assert.equal(after.spec!.leaseTransitions, 1);
    assert.equal(mA.isLeader(), false, 'a stepped down after its renew deadline');
    // The new leader's controllers work.
    await client.replicaSets.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    });
    await eventually(async () => (await client.pods.list({ namespace: 'default' })).items.length === 2, 3000, 'pods from the new leader');
    console.log(`# takeover after ${took.toFixed(1)} s`);
  } finally {
    await mB.stop();
    await mA.stop();
    await t.close();
  }
});
