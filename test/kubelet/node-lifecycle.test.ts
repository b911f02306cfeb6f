// The pure parts of node lifecycle: taint toleration and eviction times, pod CIDR
// allocation, the DefaultTolerationSeconds admission, and join-token authentication.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { evictionTime, toleratesTaint } from '../../src/controllers/taint-eviction.js';
import { CidrSet } from '../../src/controllers/node-ipam.js';
import { readinessTaintKey } from '../../src/controllers/node-lifecycle.js';
import { defaultTolerationSeconds } from '../../src/apiserver/admission/default-tolerations.js';
import { parseCapacity, simulatedNodeIP } from '../../src/kubelet/simulated-pool.js';
import { pods as podDef } from '../../src/api/core/pod.js';

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const, timeAdded: '2026-01-01T00:00:00Z' };
const t0 = Date.parse(unreachable.timeAdded);
const pod = (tolerations: Pod['spec'] extends infer S ? (S extends { tolerations?: infer T } ? T : never) : never): Pod => ({
  spec: { containers: [], tolerations },
});

test('toleratesTaint follows Kubernetes: key, operator, value and effect', () => {
  assert.equal(toleratesTaint({ operator: 'Exists' }, unreachable), true);
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, unreachable), true);
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable), false);
  assert.equal(toleratesTaint({ key: 'other', operator: 'Exists' }, unreachable), false);
  assert.equal(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(toleratesTaint({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false);
  assert.equal(toleratesTaint({ value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false, 'empty key needs Exists');
});

test('evictionTime: at once without a toleration, at timeAdded + tolerationSeconds with one, never without a limit', () => {
  assert.equal(evictionTime(pod([]), [unreachable], t0), -Infinity);
  assert.equal(evictionTime(pod([{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]), [unreachable], t0), t0 + 2000);
  assert.equal(evictionTime(pod([{ operator: 'Exists' }]), [unreachable], t0), Infinity);
  // The shortest of several matching tolerations counts.
  assert.equal(
    evictionTime(
      pod([
        { operator: 'Exists', tolerationSeconds: 60 },
        { key: unreachable.key, operator: 'Exists', tolerationSeconds: 5 },
      ]),
      [unreachable],
      t0,
    ),
    t0 + 5000,
  );
  // NoSchedule taints evict nobody.
  assert.equal(evictionTime(pod([]), [{ key: 'x', effect: 'NoSchedule' }], t0), Infinity);
});

test('readiness taints: Unknown → unreachable, False → not-ready, True → none', () => {
  const node = (status?: string) => ({ status: { conditions: status ? [{ type: 'Ready', status }] : [] } });
  assert.equal(readinessTaintKey(node('Unknown')), 'node.kubernetes.io/unreachable');
  assert.equal(readinessTaintKey(node()), 'node.kubernetes.io/unreachable');
  assert.equal(readinessTaintKey(node('False')), 'node.kubernetes.io/not-ready');
  assert.equal(readinessTaintKey(node('True')), undefined);
});

test('CidrSet hands out /24s of the cluster CIDR in order, each once, and takes back released ones', () => {
  const set = new CidrSet('10.42.0.0/22', 24);
  set.occupy('10.42.1.0/24');
  assert.equal(set.allocate(), '10.42.0.0/24');
  assert.equal(set.allocate(), '10.42.2.0/24');
  assert.equal(set.allocate(), '10.42.3.0/24');
  assert.equal(set.allocate(), undefined, 'exhausted');
  set.release('10.42.2.0/24');
  assert.equal(set.allocate(), '10.42.2.0/24');
  assert.equal(set.indexOf('10.43.0.0/24'), undefined);
  assert.equal(new CidrSet('10.0.0.0/8', 24).count, 65536);
});

test('DefaultTolerationSeconds adds 300 s not-ready and unreachable tolerations unless the pod has them', async () => {
  const hook = defaultTolerationSeconds();
  const obj: any = { metadata: { name: 'p' }, spec: { containers: [] } };
  await hook('create', podDef, obj);
  assert.deepEqual(obj.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const own: any = { spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }] } };
  await hook('create', podDef, own);
  assert.deepEqual(
    own.spec.tolerations.map((t: any) => [t.key, t.tolerationSeconds]),
    [
      ['node.kubernetes.io/unreachable', 2],
      ['node.kubernetes.io/not-ready', 300],
    ],
  );
  const all: any = { spec: { tolerations: [{ operator: 'Exists' }] } };
  await hook('create', podDef, all);
  assert.equal(all.spec.tolerations.length, 1, 'a tolerate-everything toleration covers both');
  const updated: any = { spec: {} };
  await hook('update', podDef, updated);
  assert.equal(updated.spec.tolerations, undefined, 'only on create');
});

test('simulated node capacity and addresses', () => {
  assert.deepEqual(parseCapacity('cpu=4,pods=20'), { cpu: '4', memory: '32Gi', pods: '20' });
  assert.throws(() => parseCapacity('cpu'), /invalid capacity/);
  assert.equal(simulatedNodeIP(0), '198.18.0.1');
  assert.equal(simulatedNodeIP(4999), '198.18.19.136');
});
