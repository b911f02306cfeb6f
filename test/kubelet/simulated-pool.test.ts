// The simulated node pool against an in-process apiserver: nodes register with leases,
// share one pod informer, run pods bound to them, and the pool's heartbeat switch stops
// a node's renewals and its traffic while leaving the others alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { resources } from '../../src/client/resources.js';
import { nodeUser } from '../../src/apiserver/auth/node-user.js';
import { SimulatedNodePool } from '../../src/kubelet/simulated-pool.js';
import type { Logger } from '../../src/util/log.js';
import { TestApi } from '../apiserver/setup.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a pool of simulated nodes registers, heartbeats, runs pods, and can be cut off one node at a time', async () => {
  const t = await TestApi.start();
  const client = new Client(t.api.transport());
  const informers = new SharedInformerFactory(client);
  const podInformer = informers.informerFor(resources.pods);
  const nodeInformer = informers.informerFor(resources.nodes);
  informers.start();
  await informers.waitForSync();
  const pool = new SimulatedNodePool({
    // Each node as itself, as the server runs them.
    clientFor: (name) => new Client(t.api.transport(nodeUser(name))),
    podInformer,
    nodeInformer,
    count: 3,
    capacity: { cpu: '2', memory: '4Gi', pods: '10' },
    log: quiet,
    leaseRenewMs: 200,
  });
  try {
    await pool.start();
    const nodes = (await client.nodes.list()).items;
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    assert.deepEqual(nodes[0]!.status!.capacity, { cpu: '2', memory: '4Gi', pods: '10' });
    await until('three leases', async () => ((await client.leases.list({ namespace: 'kube-node-lease' })).items.length === 3 ? true : undefined));

    // No IPAM controller runs here: the node's pod CIDR is set by hand, as node IPAM would.
    await client.nodes.patch('sim-node-1', { spec: { podCIDR: '10.42.5.0/24', podCIDRs: ['10.42.5.0/24'] } }, 'merge');
    const pod: Pod = { metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'sim-node-1', containers: [{ name: 'c', image: 'busybox' }] } };
    await client.pods.create(pod);
    const running = await until('pod Running', async () => {
      const p = await client.pods.get('p', 'default');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(running.status!.podIP!, /^10\.42\.5\./);
    assert.equal(running.status!.hostIP, '198.18.0.2');
    assert.equal(pool.agents.get('sim-node-1')!.podCount, 1);
    assert.equal(pool.agents.get('sim-node-0')!.podCount, 0, 'pods reach only their own node');

    const renewTime = async (n: string) => (await client.leases.get(n, 'kube-node-lease')).spec!.renewTime;
    pool.setHeartbeats('sim-node-1', false);
    await new Promise((r) => setTimeout(r, 300));
    const frozen = await renewTime('sim-node-1');
    const other = await renewTime('sim-node-0');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await renewTime('sim-node-1'), frozen, 'a cut-off node renews nothing');
    assert.notEqual(await renewTime('sim-node-0'), other, 'the others keep renewing');
    // Cut off, the agent does not finish a deletion …
    await client.pods.delete('p', { namespace: 'default' });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await client.pods.get('p', 'default')).metadata!.deletionTimestamp);
    // … and does once it is back.
    pool.setHeartbeats('sim-node-1', true);
    await until('pod gone', async () => ((await client.pods.list({ namespace: 'default' })).items.length === 0 ? true : undefined));
    await until('renewals resume', async () => ((await renewTime('sim-node-1')) !== frozen ? true : undefined));
  } finally {
    pool.stop();
    informers.stop();
    await t.close();
  }
});
