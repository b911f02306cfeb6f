// An ephemeral container's targetContainerName becomes CRI's pid TARGET namespace option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerConfigToWire } from '../../../src/kubelet/runtime/cri/convert.js';
import type { PodSandboxConfig } from '../../../src/kubelet/runtime/types.js';

const sb = (extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({ metadata: { name: 'p', namespace: 'n', uid: 'u', attempt: 0 }, ...extra });
const config = (pidTargetId?: string) => ({
  metadata: { name: 'debugger', attempt: 0 },
  image: { image: 'busybox' },
  linux: { securityContext: { pidTargetId } },
});

test('pid TARGET with target_id for a targeted container; the pod-wide namespace when the pod shares one', () => {
  assert.deepEqual(containerConfigToWire(config('c-main'), sb()).linux.securityContext.namespaceOptions, {
    network: 'POD',
    pid: 'TARGET',
    ipc: 'POD',
    targetId: 'c-main',
  });
  assert.deepEqual(containerConfigToWire(config(), sb()).linux.securityContext.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  assert.equal(containerConfigToWire(config('c-main'), sb({ sharePID: true })).linux.securityContext.namespaceOptions.pid, 'POD');
  assert.equal(containerConfigToWire(config('c-main'), sb({ hostPID: true })).linux.securityContext.namespaceOptions.pid, 'NODE');
});
