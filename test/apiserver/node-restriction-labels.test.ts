// NodeRestriction on a node's own Node: labels that steer workloads and its taints are the
// administrator's, not the node's (Kubernetes' rules and messages).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinRegistry } from '../../src/api/builtin.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { forbiddenNodeLabels } from '../../src/apiserver/auth/node/node-labels.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { ADMIN, handlerCalls, NODE_A } from '../helpers/handler-calls.js';

const NODE_C = { username: 'system:node:node-c', groups: ['system:nodes', 'system:authenticated'] };

describe('which labels a node may touch', () => {
  it('the kubelet’s own labels and any other prefix are allowed; node-restriction and other kubernetes.io / k8s.io labels are not', () => {
    const allowed = {
      'kubernetes.io/hostname': 'a',
      'kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': 'z1',
      'node.kubernetes.io/instance-type': 'big',
      'kubelet.kubernetes.io/anything': 'x',
      'foo.node.kubernetes.io/bar': 'x',
      'example.com/team': 'blue',
      plain: 'yes',
    };
    assert.deepEqual(forbiddenNodeLabels(allowed, undefined), []);
    const bad = {
      'node-restriction.kubernetes.io/trusted': 'true',
      'sub.node-restriction.kubernetes.io/x': 'y',
      'node-role.kubernetes.io/control-plane': 'true',
      'example.k8s.io/x': 'y',
      'kubernetes.io/role': 'master',
    };
    assert.deepEqual(forbiddenNodeLabels({ ...allowed, ...bad }, undefined), Object.keys(bad).sort());
  });

  it('only labels that change count: kept ones are fine, removed and changed ones are not', () => {
    const old = { 'node-role.kubernetes.io/worker': 'true', 'node-restriction.kubernetes.io/pool': 'a' };
    assert.deepEqual(forbiddenNodeLabels({ ...old, x: 'y' }, old), []);
    assert.deepEqual(forbiddenNodeLabels({ 'node-restriction.kubernetes.io/pool': 'b' }, old), [
      'node-restriction.kubernetes.io/pool',
      'node-role.kubernetes.io/worker',
    ]);
  });
});

describe('NodeRestriction on the Node object', () => {
  let api: ApiServer;
  const { call, fails } = handlerCalls(() => api);

  before(async () => {
    api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
    await api.cache.start();
    await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
    await api.authorization.start();
    await call(ADMIN, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a', labels: { 'node-role.kubernetes.io/worker': '' } },
    });
  });
  after(async () => {
    await api.stop();
  });

  it('a node registering itself may not give itself steering labels', async () => {
    const e = await fails(NODE_C, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'node-c',
        labels: { 'kubernetes.io/hostname': 'node-c', 'node-restriction.kubernetes.io/trusted': 'true', 'node-role.kubernetes.io/master': '' },
      },
    });
    assert.equal(e.code, 403);
    assert.equal(
      e.message,
      'nodes "node-c" is forbidden: node "node-c" is not allowed to set the following labels: node-restriction.kubernetes.io/trusted, node-role.kubernetes.io/master',
    );
    await call(NODE_C, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-c', labels: { 'kubernetes.io/hostname': 'node-c', team: 'blue' } },
    });
  });

  it('a node may relabel itself within its own labels, but not steering labels nor its taints', async () => {
    await call(NODE_A, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'topology.kubernetes.io/zone': 'z1', team: 'red' } } });
    const label = await fails(NODE_A, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'true' } } });
    assert.equal(label.code, 403);
    assert.equal(label.message, 'nodes "node-a" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/trusted');
    const removal = await fails(NODE_A, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'node-role.kubernetes.io/worker': null } } });
    assert.equal(removal.message, 'nodes "node-a" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker');
    const taint = await fails(NODE_A, 'PATCH', '/api/v1/nodes/node-a', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } });
    assert.equal(taint.message, 'nodes "node-a" is forbidden: node "node-a" is not allowed to modify taints');
    // The administrator may do all of it.
    await call(ADMIN, 'PATCH', '/api/v1/nodes/node-a', {
      metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'true' } },
      spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
    });
    const node = await call(ADMIN, 'GET', '/api/v1/nodes/node-a');
    assert.equal(node.metadata?.labels?.['node-restriction.kubernetes.io/trusted'], 'true');
    assert.equal(node.metadata?.labels?.team, 'red');
  });
});
