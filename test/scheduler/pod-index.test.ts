// The cache's pod index, and the plugins that read it: answers from the index (the cache's
// own node list) must equal answers from walking every node's pods (any other node list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSpec } from '../../src/api/selectors.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { PodInfo } from '../../src/scheduler/pod-info.js';
import { CycleState, Status } from '../../src/scheduler/types.js';
import { interPodAffinity } from '../../src/scheduler/plugins/inter-pod-affinity.js';
import { podTopologySpread } from '../../src/scheduler/plugins/pod-topology-spread.js';

const mkNode = (name: string, labels: Record<string, string>): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
});
const mkPod = (name: string, nodeName: string, labels: Record<string, string>, spec: Partial<Pod['spec']> = {}, ns = 'default'): PodInfo =>
  new PodInfo({ metadata: { name, namespace: ns, labels, uid: name }, spec: { containers: [{ name: 'c', image: 'x' }], nodeName, ...spec } as Pod['spec'] });

test('PodIndex: candidates narrow by label, counts follow adds, removals and node label changes', () => {
  const cache = new SchedulerCache();
  cache.addNode(mkNode('a', { zone: 'z1' }));
  cache.addNode(mkNode('b', { zone: 'z2' }));
  const p1 = mkPod('p1', 'a', { app: 'x' });
  const p2 = mkPod('p2', 'b', { app: 'y' });
  const p3 = mkPod('p3', 'b', { app: 'x', tier: 'web' });
  for (const p of [p1, p2, p3]) cache.addPod(p);
  const sel = labelSelectorFromSpec({ matchLabels: { app: 'x' } } as never);
  assert.deepEqual(new Set(cache.index.candidates(sel)), new Set([p1, p3]));
  assert.deepEqual(
    new Set(cache.index.candidates(labelSelectorFromSpec({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['x'] }] } as never))),
    new Set([p1, p2, p3]),
  );
  assert.deepEqual([...cache.index.candidates(labelSelectorFromSpec({ matchLabels: { app: 'zzz' } } as never))], []);

  const counts = cache.index.nodeCounts('default', sel);
  assert.deepEqual(Object.fromEntries(counts), { a: 1, b: 1 });
  cache.addPod(mkPod('p4', 'a', { app: 'x' }));
  assert.deepEqual(Object.fromEntries(counts), { a: 2, b: 1 });
  cache.removePod('default/p1');
  assert.deepEqual(Object.fromEntries(counts), { a: 1, b: 1 });

  const term = new PodInfo({
    metadata: { name: 't', namespace: 'default' },
    spec: {
      containers: [],
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'x' } } }] },
      },
    },
  }).requiredAntiAffinity[0]!;
  assert.deepEqual(Object.fromEntries(cache.index.termCounts(term)!), { z1: 1, z2: 1 });
  cache.updateNode(mkNode('a', { zone: 'z2' }));
  assert.deepEqual(Object.fromEntries(cache.index.termCounts(term)!), { z2: 2 });
  cache.removeNode('b');
  assert.deepEqual(Object.fromEntries(cache.index.termCounts(term)!), { z2: 1 });

  const anti = mkPod(
    'anti',
    'a',
    { app: 'x' },
    {
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'x' } } }] },
      },
    },
  );
  cache.addPod(anti);
  const groups = [...cache.index.requiredAntiGroups()];
  assert.equal(groups.length, 1);
  assert.deepEqual(Object.fromEntries(groups[0]!.perValue), { z2: 1 });
  cache.removePod('default/anti');
  assert.equal([...cache.index.requiredAntiGroups()].length, 0);
});

// A small random cluster; every plugin answer via the index equals the answer via node walks.
test('InterPodAffinity and PodTopologySpread: index answers equal node-walk answers', () => {
  let seed = 7;
  // mulberry32: a small deterministic generator whose low bits are usable.
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0;
  };
  const apps = ['a', 'b', 'c'];
  const term = (key: string, app: string, ns?: boolean) => ({
    topologyKey: key,
    labelSelector: { matchLabels: { app } },
    ...(ns ? { namespaceSelector: {} } : {}),
  });
  const affinityFor = () => {
    const k = rnd(5);
    const key = rnd(2) ? 'zone' : 'kubernetes.io/hostname';
    const app = apps[rnd(3)]!;
    if (k === 0) return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(key, app, !!rnd(2))] } };
    if (k === 1) return { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(key, app)] } };
    if (k === 2)
      return {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 + rnd(50), podAffinityTerm: term(key, app) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 + rnd(50), podAffinityTerm: term(key, apps[rnd(3)]!) }] },
      };
    return undefined;
  };
  const rejected = new Map<string, number>();
  for (let round = 0; round < 20; round++) {
    const cache = new SchedulerCache();
    const nodes = 4 + rnd(12);
    for (let i = 0; i < nodes; i++) cache.addNode(mkNode(`n${i}`, rnd(6) ? { zone: `z${rnd(3)}` } : {}));
    for (let i = 0; i < 30; i++) {
      const pod = mkPod(`p${i}`, `n${rnd(nodes + 1)}`, { app: apps[rnd(3)]! }, { affinity: affinityFor() } as never, rnd(4) ? 'default' : 'other');
      cache.addPod(pod);
      if (rnd(5) === 0) cache.removePod(`${pod.namespace}/p${rnd(i + 1)}`);
      if (rnd(8) === 0) cache.updateNode(mkNode(`n${rnd(nodes)}`, { zone: `z${rnd(3)}` }));
    }
    const ipa = interPodAffinity(cache, () => ({}));
    const spread = podTopologySpread(cache, () => undefined);
    for (let j = 0; j < 10; j++) {
      const incoming = mkPod(`in${j}`, '', { app: apps[rnd(3)]! }, {
        affinity: affinityFor(),
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: apps[rnd(3)]! } } },
        ],
      } as never);
      const fast = cache.nodeList();
      const slow = [...fast];
      // InterPodAffinity's scores against a walk over every node's pods (its earlier form).
      {
        const ref = new Map<string, number>();
        const add = (t: { topologyKey: string }, n: (typeof fast)[number], w: number) => {
          const v = n.labels[t.topologyKey];
          if (v !== undefined && w !== 0) ref.set(`${t.topologyKey}=${v}`, (ref.get(`${t.topologyKey}=${v}`) ?? 0) + w);
        };
        const ns = () => ({});
        for (const n of fast)
          for (const o of n.pods.values()) {
            for (const t of incoming.preferredAffinity) if (t.matches(o, ns)) add(t, n, t.weight);
            for (const t of incoming.preferredAntiAffinity) if (t.matches(o, ns)) add(t, n, -t.weight);
            for (const t of o.preferredAffinity) if (t.matches(incoming, ns)) add(t, n, t.weight);
            for (const t of o.preferredAntiAffinity) if (t.matches(incoming, ns)) add(t, n, -t.weight);
            for (const t of o.requiredAffinity) if (t.matches(incoming, ns)) add(t, n, 1);
          }
        const st = new CycleState();
        const skipped = ipa.preScore!(st, incoming, fast) === Status.skip;
        assert.equal(skipped, ref.size === 0, 'preScore skip');
        if (!skipped) {
          for (const n of fast) {
            let want = 0;
            for (const [kv, w] of ref) {
              const [k, v] = [kv.slice(0, kv.lastIndexOf('=')), kv.slice(kv.lastIndexOf('=') + 1)];
              if (n.labels[k] === v) want += w;
            }
            assert.equal(ipa.score!(st, incoming, n), want, `score on ${n.name}`);
          }
        }
      }
      for (const pl of [ipa, spread]) {
        const s1 = new CycleState();
        const s2 = new CycleState();
        const r1 = pl.preFilter!(s1, incoming, fast);
        const r2 = pl.preFilter!(s2, incoming, slow);
        assert.equal(r1 === Status.skip, r2 === Status.skip, `${pl.name} preFilter skip`);
        for (const n of fast) {
          const f1 = r1 === Status.skip ? undefined : pl.filter!(s1, incoming, n);
          const f2 = r2 === Status.skip ? undefined : pl.filter!(s2, incoming, n);
          assert.deepEqual(f1?.reasons, f2?.reasons, `${pl.name} filter on ${n.name} (round ${round})`);
          if (f1) for (const r of f1.reasons) rejected.set(r, (rejected.get(r) ?? 0) + 1);
        }
      }
    }
  }
  // The comparison saw every kind of rejection, not just passes.
  assert.equal(rejected.size, 5, [...rejected.keys()].join(' | '));
});
