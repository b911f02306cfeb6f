// TaintNodesByCondition against a real `skiff server` with the real kubectl: a Node (with
// no agent behind it) whose status says DiskPressure/MemoryPressure True gets the
// node.kubernetes.io/disk-pressure and memory-pressure NoSchedule taints from the node
// lifecycle controller, loses them when the condition goes False, and the scheduler
// keeps a pod without a toleration off it meanwhile. Also the pure rule, condition by
// condition.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { wantedTaints } from '../../src/controllers/node-lifecycle.js';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

test('wantedTaints: True pressure conditions → NoSchedule; Ready False/Unknown → NoSchedule and NoExecute', () => {
  const node = (conds: [string, string][]): Node => ({ status: { conditions: conds.map(([type, status]) => ({ type, status })) } });
  const flat = (n: Node) => [...wantedTaints(n)].flatMap(([k, es]) => es.map((e) => `${k}:${e}`)).sort();
  assert.deepEqual(
    flat(
      node([
        ['Ready', 'True'],
        ['DiskPressure', 'False'],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    flat(
      node([
        ['Ready', 'True'],
        ['DiskPressure', 'True'],
        ['MemoryPressure', 'True'],
        ['PIDPressure', 'True'],
        ['NetworkUnavailable', 'True'],
      ]),
    ),
    [
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/network-unavailable:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
    ],
  );
  // An unreachable node's pressure conditions are Unknown: they call for no pressure taint.
  assert.deepEqual(
    flat(
      node([
        ['Ready', 'Unknown'],
        ['DiskPressure', 'Unknown'],
      ]),
    ),
    ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule'],
  );
  assert.deepEqual(
    flat(
      node([
        ['Ready', 'False'],
        ['PIDPressure', 'True'],
      ]),
    ),
    ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule'],
  );
});

let s: TestServer;
before(async () => {
  // A long grace period: the agent-less node must stay "alive" for the length of the test.
  s = await startServer({ args: ['--node-monitor-grace-period', '120s'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

const taintsOf = async (name: string) => {
  const n = JSON.parse(await ok(['get', 'node', name, '-o', 'json'])) as Node;
  return (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
};

function conditions(disk: boolean, memory: boolean): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const c = (type: string, status: boolean, yes: string, no: string) => ({
    type,
    status: status ? 'True' : 'False',
    reason: status ? yes : no,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return JSON.stringify({
    status: {
      conditions: [
        c('MemoryPressure', memory, 'KubeletHasInsufficientMemory', 'KubeletHasSufficientMemory'),
        c('DiskPressure', disk, 'KubeletHasDiskPressure', 'KubeletHasNoDiskPressure'),
        c('PIDPressure', false, 'KubeletHasInsufficientPID', 'KubeletHasSufficientPID'),
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    },
  });
}

test('pressure conditions taint the node NoSchedule and the taints go with the pressure', { timeout: 60_000 }, async () => {
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'pressed' } }));
  await ok(['patch', 'node', 'pressed', '--subresource=status', '--type=merge', '-p', conditions(true, true)]);
  const tainted = await eventually('pressure taints', 20_000, async () => {
    const t = await taintsOf('pressed');
    return t.length === 2 ? t : undefined;
  });
  assert.deepEqual(tainted, ['node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule']);

  // The scheduler honours them: a pod without tolerations stays Pending with the taint named.
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'waits' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }),
  );
  const why = await eventually('the pod to be unschedulable', 20_000, async () => {
    const p = JSON.parse(await ok(['get', 'pod', 'waits', '-o', 'json']));
    const c = (p.status?.conditions ?? []).find((x: { type: string }) => x.type === 'PodScheduled');
    return c?.reason === 'Unschedulable' ? (c.message as string) : undefined;
  });
  assert.match(why, /node\.kubernetes\.io\/(disk|memory)-pressure/);

  await ok(['patch', 'node', 'pressed', '--subresource=status', '--type=merge', '-p', conditions(false, true)]);
  assert.deepEqual(
    await eventually('the disk-pressure taint to go', 20_000, async () => {
      const t = await taintsOf('pressed');
      return t.length === 1 ? t : undefined;
    }),
    ['node.kubernetes.io/memory-pressure:NoSchedule'],
  );
  await ok(['patch', 'node', 'pressed', '--subresource=status', '--type=merge', '-p', conditions(false, false)]);
  await eventually('no taints left', 20_000, async () => ((await taintsOf('pressed')).length === 0 ? true : undefined));
});
