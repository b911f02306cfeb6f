// The relister's lean views of ListContainers and ListPodSandbox read the same bytes the
// full runtime.v1 messages write: ids, states and int64 creation times come out exact,
// and the fields they leave undeclared (metadata, image, labels, annotations) are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { CRI_PROTO } from '../../../src/kubelet/runtime/cri/api-proto.js';
import { listedContainersFromBytes, listedSandboxesFromBytes } from '../../../src/kubelet/runtime/cri/relist-wire.js';

const root = protobuf.parse(CRI_PROTO, { keepCase: false }).root;
const encode = (type: string, obj: object): Buffer => {
  const t = root.lookupType(`runtime.v1.${type}`);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
};
const labels = { 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.container.name': 'c' };

test('ListContainers bytes: id, sandbox, state by name and the exact int64 creation time', () => {
  const bytes = encode('ListContainersResponse', {
    containers: [
      {
        id: 'a'.repeat(64),
        podSandboxId: 'b'.repeat(64),
        metadata: { name: 'c', attempt: 2 },
        image: { image: 'skiff.local/busybox:1.35' },
        imageRef: 'sha256:1234',
        state: 'CONTAINER_EXITED',
        createdAt: '1765111111123456789',
        labels,
        annotations: { 'io.kubernetes.container.restartCount': '2' },
      },
      { id: 'c1', podSandboxId: 's1', state: 'CONTAINER_RUNNING', createdAt: '5' },
      { id: 'c2', podSandboxId: 's1' },
    ],
  });
  assert.deepEqual(listedContainersFromBytes(bytes), [
    { id: 'a'.repeat(64), podSandboxId: 'b'.repeat(64), state: 'CONTAINER_EXITED', createdAt: 1765111111123456789n },
    { id: 'c1', podSandboxId: 's1', state: 'CONTAINER_RUNNING', createdAt: 5n },
    // Proto3 leaves zero values off the wire: CONTAINER_CREATED and time 0.
    { id: 'c2', podSandboxId: 's1', state: 'CONTAINER_CREATED', createdAt: 0n },
  ]);
  assert.deepEqual(listedContainersFromBytes(Buffer.alloc(0)), []);
});

test('ListPodSandbox bytes: each sandbox as its own container, running while ready', () => {
  const bytes = encode('ListPodSandboxResponse', {
    items: [
      { id: 's1', metadata: { name: 'web-0', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', createdAt: '1765111111000000001', labels },
      { id: 's2', state: 'SANDBOX_NOTREADY', createdAt: '1765111112000000000', runtimeHandler: 'runc' },
    ],
  });
  assert.deepEqual(listedSandboxesFromBytes(bytes), [
    { id: 's1', podSandboxId: 's1', state: 'CONTAINER_RUNNING', createdAt: 1765111111000000001n },
    { id: 's2', podSandboxId: 's2', state: 'CONTAINER_EXITED', createdAt: 1765111112000000000n },
  ]);
});
