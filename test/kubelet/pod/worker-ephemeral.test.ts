// Ephemeral (debug) containers in a running pod, with the scripted runtime double: started
// once in the pod's sandbox, sharing the target's PID namespace, never restarted, reported
// in status.ephemeralContainerStatuses and kept out of the pod's phase and readiness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EphemeralContainer } from 'kubernetes-types/core/v1.js';
import { cond, harness, makePod } from './lifecycle-harness.js';

const withDebug = (ec: EphemeralContainer) => (p: any) => ({ ...p, spec: { ...p.spec, ephemeralContainers: [...(p.spec.ephemeralContainers ?? []), ec] } });

test('an ephemeral container starts in the running sandbox, targets a container, and is not restarted', async () => {
  const h = await harness(makePod('dbg', [{ name: 'main', image: 'app:1' }]));
  try {
    await h.until((s) => s.phase === 'Running' && cond(s, 'Ready') === 'True');
    const mainCreate = h.rt.creates.find((c) => c.metadata.name === 'main')!;
    assert.equal(mainCreate.linux?.securityContext?.pidTargetId, undefined);
    const mainId = (await h.rt.runtime.listContainers({})).find((c) => c.metadata.name === 'main')!.id;

    h.change(withDebug({ name: 'debugger-1', image: 'busybox:1', command: ['ps'], targetContainerName: 'main' }));
    const s = await h.until((s) => !!s.ephemeralContainerStatuses?.[0]?.state?.running);
    const created = h.rt.creates.find((c) => c.metadata.name === 'debugger-1')!;
    assert.equal(created.linux?.securityContext?.pidTargetId, mainId, 'joins the PID namespace of the target');
    const sandboxes = new Set((await h.rt.runtime.listContainers({})).map((c) => c.podSandboxId));
    assert.equal(sandboxes.size, 1, 'in the pod sandbox');
    const st = s.ephemeralContainerStatuses![0]!;
    assert.equal(st.name, 'debugger-1');
    assert.equal(st.ready, false);
    assert.equal(st.restartCount, 0);
    assert.match(st.containerID!, /^containerd:\/\//);
    assert.equal(s.containerStatuses!.length, 1, 'not among the containers');
    assert.equal(cond(s, 'Ready'), 'True');

    await h.rt.exit('debugger-1');
    const done = await h.until((s) => !!s.ephemeralContainerStatuses?.[0]?.state?.terminated);
    assert.equal(done.ephemeralContainerStatuses![0]!.state!.terminated!.exitCode, 0);
    assert.equal(done.phase, 'Running', 'the pod goes on');
    // Some more syncs (a second debug container added): the exited one stays exited.
    h.change(withDebug({ name: 'debugger-2', image: 'busybox:1' }));
    const two = await h.until((s) => s.ephemeralContainerStatuses?.length === 2 && !!s.ephemeralContainerStatuses[1]!.state?.running);
    assert.ok(two.ephemeralContainerStatuses![0]!.state!.terminated);
    assert.equal(h.rt.creates.filter((c) => c.metadata.name === 'debugger-1').length, 1, 'never restarted');
    assert.equal(h.rt.creates.find((c) => c.metadata.name === 'debugger-2')!.linux?.securityContext?.pidTargetId, undefined);
  } finally {
    await h.close();
  }
});
