// kubectl debug against real containers: `skiff server` with its supervised containerd (the
// real-node helper) and the real kubectl. The debug container is added through
// pods/ephemeralcontainers (a strategic merge patch), runs in the pod's sandbox, and with
// --target sees the target container's processes. Traffic goes to loopback only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';
import { waitFor as until } from '../helpers/wait.js';

const POD = `
apiVersion: v1
kind: Pod
metadata: {name: target}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sleep, '31337']
`;

async function getPod(node: RealNode, name: string): Promise<Pod> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

test('kubectl debug --target: an ephemeral container in the running pod sees the target process', { timeout: 240_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  try {
    const applied = await node.kubectl(['apply', '-f', '-'], { input: POD });
    assert.equal(applied.code, 0, applied.stderr);
    const running = await until(
      'the target pod Running',
      90_000,
      async () => {
        const p = await getPod(node, 'target');
        return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
      },
      node.logs,
    );
    const mainID = running.status!.containerStatuses![0]!.containerID;

    const dbg = await node.kubectl(
      ['debug', 'target', '-v=8', '--image=skiff.local/busybox:1.35', '--image-pull-policy=IfNotPresent', '--target=main', '-c', 'debugger', '--', 'ps'],
      { timeoutMs: 60_000 },
    );
    assert.equal(dbg.code, 0, dbg.stderr);
    assert.match(dbg.stderr, /PATCH https:\/\/[^ ]+\/api\/v1\/namespaces\/default\/pods\/target\/ephemeralcontainers/);
    assert.match(dbg.stderr, /Content-Type: application\/strategic-merge-patch\+json/);

    const finished = await until(
      'the debug container to finish',
      60_000,
      async () => {
        const p = await getPod(node, 'target');
        return p.status?.ephemeralContainerStatuses?.[0]?.state?.terminated ? p : undefined;
      },
      node.logs,
    );
    const st = finished.status!.ephemeralContainerStatuses![0]!;
    assert.equal(st.name, 'debugger');
    assert.equal(st.state!.terminated!.exitCode, 0);
    assert.equal(finished.spec!.ephemeralContainers![0]!.targetContainerName, 'main');
    // The pod itself was left as it was.
    assert.equal(finished.status!.containerStatuses![0]!.containerID, mainID);
    assert.equal(finished.status!.containerStatuses![0]!.restartCount, 0);
    assert.equal(finished.status!.phase, 'Running');

    const logs = await node.kubectl(['logs', 'target', '-c', 'debugger']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /sleep 31337/, `ps in the debug container shows the target's process:\n${logs.stdout}`);

    // Not restarted: a while later it is still the one exited attempt.
    await new Promise((r) => setTimeout(r, 3000));
    const later = (await getPod(node, 'target')).status!.ephemeralContainerStatuses![0]!;
    assert.equal(later.restartCount, 0);
    assert.equal(later.containerID, st.containerID);
    assert.ok(later.state!.terminated);

    const del = await node.kubectl(['delete', 'pod/target', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
  } finally {
    await node.cleanup();
  }
});
