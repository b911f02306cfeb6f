// Plugins, the queue, the message format and profile loading, as pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo } from '../../src/scheduler/node-info.js';
import { PodInfo } from '../../src/scheduler/pod-info.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { FitError, numFeasibleNodesToFind } from '../../src/scheduler/framework.js';
import { parseSchedulerConfig, resolveProfile } from '../../src/scheduler/config.js';
import { CycleState, Status } from '../../src/scheduler/types.js';
import { nodeResourcesFit } from '../../src/scheduler/plugins/node-resources-fit.js';
import { nodeAffinity } from '../../src/scheduler/plugins/node-affinity.js';
import { taintToleration } from '../../src/scheduler/plugins/taint-toleration.js';
import { balancedAllocation } from '../../src/scheduler/plugins/balanced-allocation.js';
import { nodeUnschedulable } from '../../src/scheduler/plugins/node-unschedulable.js';
import { podRequests } from '../../src/api/core/resources.js';
import { node, pod } from './harness.js';

const ni = (n: ReturnType<typeof node>) => new NodeInfo(n.metadata!.name!, n);
const pi = (p: ReturnType<typeof pod>, prio = 0) => new PodInfo({ ...p, metadata: { ...p.metadata, uid: p.metadata!.name } }, prio);

test('requests: quantities parsed exactly; init containers count at their peak; scoring defaults', () => {
  const p = pod('x', { cpu: '250m', memory: '1Gi', initContainers: [{ name: 'i', image: 'b', resources: { requests: { cpu: '2' } } }] });
  const r = podRequests(p);
  assert.equal(r.milliCPU, 2000);
  assert.equal(r.memory, 1024 ** 3);
  const nz = podRequests(pod('y'), true);
  assert.equal(nz.milliCPU, 100);
  assert.equal(nz.memory, 200 * 1024 * 1024);
});

test('NodeResourcesFit: reasons, pod count, LeastAllocated vs MostAllocated', () => {
  const n = ni(node('n', { cpu: '1', memory: '1Gi', pods: '1' }));
  const fit = nodeResourcesFit();
  const s = new CycleState();
  assert.equal(fit.filter!(s, pi(pod('a', { cpu: '500m' })), n), undefined);
  assert.deepEqual(fit.filter!(s, pi(pod('b', { cpu: '2', memory: '2Gi' })), n)!.reasons, ['Insufficient cpu', 'Insufficient memory']);
  n.addPod(pi({ ...pod('c', { cpu: '500m' }), spec: { ...pod('c', { cpu: '500m' }).spec!, nodeName: 'n' } }));
  assert.deepEqual(fit.filter!(s, pi(pod('d', { cpu: '100m' })), n)!.reasons, ['Too many pods']);
  const empty = ni(node('e', { cpu: '4', memory: '4Gi' }));
  const least = fit.score!(s, pi(pod('x', { cpu: '1', memory: '1Gi' })), empty);
  const most = nodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } }).score!(s, pi(pod('x', { cpu: '1', memory: '1Gi' })), empty);
  assert.equal(least, 75);
  assert.equal(most, 25);
});

test('BalancedAllocation prefers equal fractions', () => {
  const n = ni(node('n', { cpu: '4', memory: '4Gi' }));
  const b = balancedAllocation();
  assert.equal(b.score!(new CycleState(), pi(pod('x', { cpu: '2', memory: '2Gi' })), n), 100);
  assert.equal(b.score!(new CycleState(), pi(pod('x', { cpu: '4', memory: '1' })), n) < 60, true);
});

test('NodeAffinity: nodeSelector, operators, and preferred weights', () => {
  const na = nodeAffinity();
  const s = new CycleState();
  const n = ni(node('n', { labels: { zone: 'a', gen: '5' } }));
  assert.equal(na.filter!(s, pi(pod('x', { nodeSelector: { zone: 'a' } })), n), undefined);
  assert.match(na.filter!(s, pi(pod('x', { nodeSelector: { zone: 'b' } })), n)!.message, /didn't match Pod's node affinity\/selector/);
  const gt = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }] },
    },
  };
  assert.equal(na.filter!(s, pi(pod('x', { affinity: gt })), n), undefined);
  const pref = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }],
    },
  };
  assert.equal(na.score!(s, pi(pod('x', { affinity: pref })), n), 7);
});

test('TaintToleration and NodeUnschedulable', () => {
  const tt = taintToleration();
  const s = new CycleState();
  const n = ni(node('n', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }));
  assert.equal(tt.filter!(s, pi(pod('x')), n)!.message, 'node(s) had untolerated taint {k: v}');
  assert.equal(tt.filter!(s, pi(pod('x', { tolerations: [{ key: 'k', operator: 'Exists' }] })), n), undefined);
  const cordoned = ni(node('c', { unschedulable: true }));
  assert.equal(nodeUnschedulable().filter!(s, pi(pod('x')), cordoned)!.message, 'node(s) were unschedulable');
});

test('FitError message in Kubernetes form', () => {
  const p = pi(pod('x'));
  const st = new Map([
    ['a', Status.unschedulable('Insufficient cpu')],
    ['b', Status.unschedulable('Insufficient cpu', 'Insufficient memory')],
    ['c', Status.unresolvable('node(s) were unschedulable')],
  ]);
  assert.equal(new FitError(p, 3, st).describe(), '0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 Insufficient cpu.');
});

test('percentageOfNodesToScore is adaptive as in Kubernetes', () => {
  assert.equal(numFeasibleNodesToFind(50), 50);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(200), 100);
  assert.equal(numFeasibleNodesToFind(10_000, 30), 3000);
});

test('queue: priority then age; unschedulable pods come back only on a relevant event', async () => {
  let now = 1000;
  const q = new SchedulingQueue({ now: () => now, pluginEvents: new Map([['NodeResourcesFit', new Set(['NodeAdd'] as const)]]) });
  try {
    const lo = pi(pod('lo'), 0);
    const hi = pi(pod('hi'), 10);
    q.add(lo);
    now++;
    q.add(hi);
    assert.equal(q.tryPop()?.name, 'hi');
    assert.equal(q.tryPop()?.name, 'lo');
    lo.unschedulablePlugins.add('NodeResourcesFit');
    q.requeue(lo, true);
    assert.deepEqual(q.pendingCount, { active: 0, backoff: 0, unschedulable: 1 });
    assert.equal(q.moveAllOnEvent('AssignedPodAdd'), 0);
    now += 5000;
    assert.equal(q.moveAllOnEvent('NodeAdd'), 1);
    assert.equal(q.tryPop()?.name, 'lo');
    assert.equal(q.backoffDuration(Object.assign(pi(pod('z')), { attempts: 5 })), 10_000);
  } finally {
    q.close();
  }
});

test('cache: assumed pods count at once and are forgotten on failure', () => {
  const c = new SchedulerCache();
  c.addNode(node('n', { cpu: '1' }));
  const p = pi({ ...pod('a', { cpu: '600m' }), spec: { ...pod('a', { cpu: '600m' }).spec!, nodeName: 'n' } });
  c.assumePod(p);
  assert.equal(c.getNode('n')!.requested.milliCPU, 600);
  c.forgetPod(p);
  assert.equal(c.getNode('n')!.requested.milliCPU, 0);
});

test('config: profiles, disabled plugins and weights', () => {
  const cfg = parseSchedulerConfig(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 20
profiles:
- schedulerName: packer
  plugins:
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
      enabled: [{name: NodeResourcesFit, weight: 5}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`);
  assert.equal(cfg.percentageOfNodesToScore, 20);
  const r = resolveProfile(cfg.profiles[0]!);
  assert.equal(cfg.profiles[0]!.schedulerName, 'packer');
  assert.ok(r.pointDisabled.get('score')!.has('NodeResourcesBalancedAllocation'));
  assert.equal(r.pointEnabled.get('score')![0]!.weight, 5);
  assert.throws(() => parseSchedulerConfig('kind: Other'), /KubeSchedulerConfiguration/);
});
