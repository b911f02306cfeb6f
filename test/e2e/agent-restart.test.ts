// Restarting a node agent adopts the pods it was running, as the kubelet does: a real
// `skiff server` (no agent of its own) and a `skiff agent` process with its own supervised
// containerd. The agent is stopped with SIGTERM (its containerd stops, the pods' shims go
// on), pods are deleted meanwhile, and the agent started again on the same data dir keeps
// the running pod's container (same id, same start, restartCount 0) and removes what
// belongs to the deleted pods.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realAgent } from '../helpers/real-agent.js';
import { sleep, waitFor as until } from '../helpers/wait.js';
import { kubeconfigServer, realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';

const podYaml = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: r1
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo started; exec sleep 3600']
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {}}]
`;

async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json', '--ignore-not-found']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Pod) : undefined;
}

test('a restarted agent adopts its running pods and removes pods deleted while it was down', { timeout: 300_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode(['--disable-agent']);
  const agent = realAgent({
    server: kubeconfigServer(node),
    token: readFileSync(join(node.dataDir, 'token'), 'utf8').trim(),
    nodeName: 'r1',
    nodeIP: '127.0.0.1',
  });
  const logs = () => `${node.logs().slice(-3000)}\n--- agent ---\n${agent.logs()}`;
  try {
    await agent.start();
    await until(
      'node r1 Ready',
      60_000,
      async () => {
        const r = await node.kubectl(['get', 'node', 'r1', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const n = JSON.parse(r.stdout);
        return n.spec?.podCIDR && n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')
          ? true
          : undefined;
      },
      logs,
    );
    for (const name of ['stay', 'gone', 'leaving']) {
      const r = await node.kubectl(['apply', '-f', '-'], { input: podYaml(name) });
      assert.equal(r.code, 0, r.stderr);
    }
    const before = new Map<string, Pod>();
    for (const name of ['stay', 'gone', 'leaving']) {
      before.set(
        name,
        await until(
          `${name} Running`,
          90_000,
          async () => {
            const p = await getPod(node, name);
            return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
          },
          logs,
        ),
      );
    }
    const stay = before.get('stay')!.status!.containerStatuses![0]!;
    const uid = (name: string) => before.get(name)!.metadata!.uid!;
    const podDir = (name: string) => join(agent.dataDir, 'agent', 'pods', uid(name));
    assert.ok(existsSync(podDir('gone')), 'the pod has a directory for its volumes');

    await agent.stop();
    const shims = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes('containerd-shim') && l.includes(agent.dataDir));
    assert.ok(shims.length >= 3, `the pods' shims outlive the agent and its containerd (found ${shims.length})`);
    // Forced: gone from the API at once. Graceful: waits for the node agent to finish it.
    let r = await node.kubectl(['delete', 'pod', 'gone', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    r = await node.kubectl(['delete', 'pod', 'leaving', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await getPod(node, 'leaving'))?.metadata?.deletionTimestamp, 'the graceful deletion waits for the agent');

    await agent.start();
    assert.match(agent.logs(), /took over the runtime's pods/);
    const cri = await agent.cri();
    try {
      await until(
        "the deleted pods' sandboxes removed",
        60_000,
        async () => {
          const uids = new Set((await cri.listPodSandbox()).map((s) => s.metadata.uid));
          return !uids.has(uid('gone')) && !uids.has(uid('leaving')) ? true : undefined;
        },
        logs,
      );
      await until('leaving gone from the API', 60_000, async () => ((await getPod(node, 'leaving')) ? undefined : true), logs);
      assert.equal(existsSync(podDir('gone')), false, "the force-deleted pod's directory is removed");
      assert.equal(existsSync(podDir('leaving')), false, "the gracefully deleted pod's directory is removed");

      const sandboxes = (await cri.listPodSandbox()).filter((s) => s.metadata.uid === uid('stay'));
      assert.equal(sandboxes.length, 1, 'stay keeps its one sandbox');
      assert.equal(sandboxes[0]!.state, 'SANDBOX_READY');
      // A few status syncs of the new agent: nothing about the running pod changes.
      await sleep(3000);
      const after = (await getPod(node, 'stay'))!;
      assert.equal(after.status?.phase, 'Running');
      const cs = after.status!.containerStatuses![0]!;
      assert.equal(cs.containerID, stay.containerID, 'the same container');
      assert.equal(cs.restartCount, 0);
      assert.equal(cs.state?.running?.startedAt, stay.state!.running!.startedAt);
      assert.equal(after.status?.podIP, before.get('stay')!.status!.podIP);
      const containers = await cri.listContainers({ podSandboxId: sandboxes[0]!.id });
      assert.deepEqual(
        containers.map((c) => [c.id, c.state]),
        [[stay.containerID!.replace('containerd://', ''), 'CONTAINER_RUNNING']],
      );

      const log = await node.kubectl(['logs', 'stay']);
      assert.equal(log.code, 0, log.stderr);
      assert.equal(log.stdout.trim(), 'started', 'the log of the adopted container, written once');

      // The new agent owns the adopted sandbox: deleting the pod tears it down.
      r = await node.kubectl(['delete', 'pod', 'stay', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
      assert.equal(r.code, 0, r.stderr);
      await until("stay's sandbox removed", 30_000, async () => ((await cri.listPodSandbox()).length === 0 ? true : undefined), logs);
      assert.equal(existsSync(podDir('stay')), false);
    } finally {
      await cri.close();
    }
  } finally {
    await agent.cleanup();
    await node.cleanup();
  }
});

test("a restarted all-in-one server keeps its node's pods running", { timeout: 240_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  const logs = () => node.logs();
  try {
    const r = await node.kubectl(['apply', '-f', '-'], { input: podYaml('stay').replace('  nodeName: r1\n', '') });
    assert.equal(r.code, 0, r.stderr);
    const before = await until(
      'stay Running',
      90_000,
      async () => {
        const p = await getPod(node, 'stay');
        return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
      },
      logs,
    );
    await node.restart();
    assert.match(node.logs(), /took over the runtime's pods/);
    await sleep(3000);
    const after = (await getPod(node, 'stay'))!;
    const [b, a] = [before.status!.containerStatuses![0]!, after.status!.containerStatuses![0]!];
    assert.equal(after.status?.phase, 'Running');
    assert.equal(a.containerID, b.containerID, 'the same container');
    assert.equal(a.restartCount, 0);
    assert.equal(a.state?.running?.startedAt, b.state!.running!.startedAt);
    const exec = await node.kubectl(['exec', 'stay', '--', 'cat', '/etc/hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), 'stay');
  } finally {
    await node.cleanup();
  }
});
