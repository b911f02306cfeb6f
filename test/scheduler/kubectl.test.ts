// The scheduler inside a real `skiff server`, driven by the real kubectl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';

const nodeYaml = (name: string) => `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/hostname: ${name}}}
status:
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
`;
const podYaml = (name: string, cpu: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: web}}
spec:
  containers: [{name: c, image: busybox, resources: {requests: {cpu: ${cpu}}}}]
`;

test('kubectl get pods -o wide shows the node each pod was scheduled to', async () => {
  const s = await startServer();
  try {
    for (const doc of [nodeYaml('node-a'), nodeYaml('node-b'), podYaml('web-1', '1500m'), podYaml('web-2', '1500m'), podYaml('huge', '3')]) {
      const r = await s.kubectl(['create', '-f', '-'], { input: doc });
      assert.equal(r.code, 0, r.stderr);
    }
    let rows: string[][] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await s.kubectl(['get', 'pods', '-o', 'wide', '--no-headers']);
      rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      const node = (n: string) => rows.find((r) => r[0] === n)?.[6];
      if (node('web-1') !== '<none>' && node('web-2') !== '<none>' && node('web-1') && node('web-2')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const header = (await s.kubectl(['get', 'pods', '-o', 'wide'])).stdout.split('\n')[0]!;
    assert.match(header, /NODE/);
    const nodeOf = (n: string) => rows.find((r) => r[0] === n)?.[6];
    assert.deepEqual([nodeOf('web-1'), nodeOf('web-2')].sort(), ['node-a', 'node-b']);
    assert.equal(nodeOf('huge'), '<none>');
    const ev = await s.kubectl(['get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}']);
    assert.match(ev.stdout, /0\/2 nodes are available: 2 Insufficient cpu\./);
  } finally {
    await s.cleanup();
  }
});
