// A restarted node agent adopts the pods its runtime still runs instead of restarting
// them, and removes what belongs to pods deleted while it was down. The simulated runtime
// keeps its records in the runtime object, so a new NodeAgent on the same object is an
// agent restart; the API is a real in-process apiserver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../../src/client/client.js';
import { SharedInformerFactory } from '../../../src/client/informer-factory.js';
import { resources } from '../../../src/client/resources.js';
import { NodeAgent } from '../../../src/kubelet/agent.js';
import { takeInventory } from '../../../src/kubelet/pod/adoption.js';
import { hostDescription } from '../../../src/kubelet/in-process.js';
import { agentRouters } from '../../../src/kubelet/node/pods-index.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import { SIM_EXIT_CODE, SIM_RUN_SECONDS } from '../../../src/kubelet/runtime/types.js';
import type { Logger } from '../../../src/util/log.js';
import { TestApi } from '../../apiserver/setup.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const NODE = 'n1';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pod = (name: string, extra: Partial<Pod['spec']> = {}, annotations?: Record<string, string>): Pod => ({
  metadata: { name, namespace: 'default', annotations },
  spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }], ...extra },
});

test('a new agent on the same runtime adopts running pods (same container, restartCount kept) and removes pods deleted meanwhile', async () => {
  const t = await TestApi.start();
  const client = new Client(t.api.transport());
  const informers = new SharedInformerFactory(client);
  const routers = agentRouters(informers.informerFor(resources.pods), informers.informerFor(resources.nodes));
  informers.start();
  await informers.waitForSync();
  const runtime = new SimulatedRuntime({ hostIP: '192.0.2.10' });
  // What the agent asks to keep on disk at start; the volume manager removes the other pod dirs.
  const kept: Set<string>[] = [];
  const newAgent = () =>
    new NodeAgent({
      client,
      runtime,
      node: hostDescription(NODE, '192.0.2.10'),
      ...routers,
      log: quiet,
      recordEvents: false,
      cleanupOrphanedPods: async (keep) => {
        kept.push(keep);
        return [];
      },
    });
  const get = (name: string) => client.pods.get(name, 'default');
  let agent = newAgent();
  try {
    await agent.start();
    await client.nodes.patch(NODE, { spec: { podCIDR: '10.42.7.0/24', podCIDRs: ['10.42.7.0/24'] } }, 'merge');
    await client.pods.create(pod('keep'));
    await client.pods.create(pod('gone'));
    // Exits 1 twice: restarted at once after the first exit, then held in CrashLoopBackOff (10 s).
    await client.pods.create(pod('crashy', { restartPolicy: 'OnFailure' }, { [SIM_RUN_SECONDS]: '0.1', [SIM_EXIT_CODE]: '1' }));
    await client.pods.create(pod('done', { restartPolicy: 'Never' }, { [SIM_RUN_SECONDS]: '0.05' }));
    const before = await until('keep Running', async () => {
      const p = await get('keep');
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    await until('gone Running', async () => ((await get('gone')).status?.phase === 'Running' ? true : undefined));
    await until('crashy in back-off after one restart', async () => {
      const cs = (await get('crashy')).status?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.state?.waiting?.reason === 'CrashLoopBackOff' ? true : undefined;
    });
    await until('done Succeeded', async () => ((await get('done')).status?.phase === 'Succeeded' ? true : undefined));
    const doneUid = (await get('done')).metadata!.uid!;
    const doneSandbox = await until("done's sandbox stopped", async () =>
      (await runtime.listPodSandbox()).find((s) => s.metadata.uid === doneUid && s.state === 'SANDBOX_NOTREADY'),
    );
    const goneUid = (await get('gone')).metadata!.uid!;
    const keepUid = before.metadata!.uid!;
    const keepSandbox = (await runtime.listPodSandbox()).find((s) => s.metadata.uid === keepUid)!.id;

    agent.stop();
    // Deleted while no agent runs: with grace 0 it leaves the API at once, only the node still has it.
    await client.pods.delete('gone', { namespace: 'default', gracePeriodSeconds: 0 });
    await until('gone out of the cache', () => (routers.podsOnNode(NODE).some((p) => p.metadata?.name === 'gone') ? undefined : true));
    const inv = await takeInventory(runtime, { uids: new Set(routers.podsOnNode(NODE).map((p) => p.metadata!.uid!)), finished: new Set([doneUid]) });
    assert.deepEqual(
      inv.garbage.map((s) => s.metadata.uid),
      [goneUid],
      "only the deleted pod's sandbox is garbage",
    );
    assert.equal(inv.adopt.get(keepUid)?.sandboxId, keepSandbox);

    agent = newAgent();
    await agent.start();
    assert.equal(agent.podCount, 3, 'keep, crashy and done have workers again');
    const sandboxes = await runtime.listPodSandbox();
    assert.ok(!sandboxes.some((s) => s.metadata.uid === goneUid), "the deleted pod's sandbox is removed");
    assert.deepEqual([...kept[1]!].sort(), [keepUid, (await get('crashy')).metadata!.uid!, doneUid].sort(), 'the directories of the deleted pod are not kept');
    assert.ok(
      sandboxes.some((s) => s.id === doneSandbox.id),
      'the finished pod keeps its stopped sandbox (and dead container) until it is deleted',
    );
    assert.equal(sandboxes.filter((s) => s.metadata.uid === keepUid).length, 1, 'keep still has exactly its one sandbox');
    assert.equal(sandboxes.find((s) => s.metadata.uid === keepUid)!.id, keepSandbox);

    const c0 = before.status!.containerStatuses![0]!;
    // A status write after adoption must not change anything: the same container, no restart.
    await new Promise((r) => setTimeout(r, 300));
    const after = (await get('keep')).status!.containerStatuses![0]!;
    assert.equal(after.containerID, c0.containerID);
    assert.equal(after.restartCount, 0);
    assert.equal(after.state?.running?.startedAt, c0.state!.running!.startedAt);
    assert.equal((await runtime.listContainers()).filter((c) => c.podSandboxId === keepSandbox).length, 1, 'no second container was created');

    // The crashing container's attempts carry on from 1: the next one is attempt 2, not a fresh 0.
    const crashyUid = (await get('crashy')).metadata!.uid!;
    await until('crashy restarted by the new agent', async () => {
      const cs = (await get('crashy')).status?.containerStatuses?.[0];
      return cs?.restartCount === 2 ? true : undefined;
    });
    const crashySb = (await runtime.listPodSandbox()).find((s) => s.metadata.uid === crashyUid)!.id;
    const attempts = (await runtime.listContainers({ podSandboxId: crashySb })).map((c) => c.metadata.attempt).sort();
    assert.deepEqual(attempts, [1, 2], 'the newest attempt and the one before it are kept');

    // The adopted sandbox belongs to the new worker: deleting the pod tears it down.
    await client.pods.delete('keep', { namespace: 'default', gracePeriodSeconds: 0 });
    await until("keep's sandbox removed", async () => ((await runtime.listPodSandbox()).some((s) => s.id === keepSandbox) ? undefined : true));
    await client.pods.delete('done', { namespace: 'default', gracePeriodSeconds: 0 });
    await until("done's sandbox removed", async () => ((await runtime.listPodSandbox()).some((s) => s.id === doneSandbox.id) ? undefined : true));
  } finally {
    agent.stop();
    informers.stop();
    await runtime.close();
    await t.close();
  }
});

test('takeInventory adopts the newest ready sandbox of a live pod and gives up not-ready (unless finished) and duplicate ones', async () => {
  const runtime = new SimulatedRuntime({ hostIP: '192.0.2.10' });
  await runtime.updateRuntimeConfig({ podCidr: '10.42.8.0/24' });
  const md = (uid: string) => ({ metadata: { name: uid, namespace: 'default', uid, attempt: 0 }, labels: { 'io.kubernetes.pod.uid': uid } });
  const old = await runtime.runPodSandbox(md('a'));
  await new Promise((r) => setTimeout(r, 5));
  const newer = await runtime.runPodSandbox(md('a'));
  const dead = await runtime.runPodSandbox(md('b'));
  await runtime.stopPodSandbox(dead);
  const stranger = await runtime.runPodSandbox(md('c'));
  const finished = await runtime.runPodSandbox(md('d'));
  await runtime.stopPodSandbox(finished);
  const cid = await runtime.createContainer(newer, { metadata: { name: 'x', attempt: 3 }, image: { image: 'busybox' } }, md('a'));
  const inv = await takeInventory(runtime, { uids: new Set(['a', 'b', 'd']), finished: new Set(['d']) });
  assert.deepEqual([...inv.adopt.keys()].sort(), ['a', 'd']);
  assert.equal(inv.adopt.get('d')!.sandboxId, finished);
  assert.equal(inv.adopt.get('a')!.sandboxId, newer);
  assert.deepEqual(
    inv.adopt.get('a')!.containers.map((c) => c.id),
    [cid],
  );
  assert.deepEqual(inv.garbage.map((s) => s.id).sort(), [old, dead, stranger].sort());
  await runtime.close();
});
