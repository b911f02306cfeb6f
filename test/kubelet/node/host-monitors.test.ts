// The host monitors a real node's agent runs: the pressure they report through the node
// description, the kubelet's node events on each change, and which images GC must keep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepImage, startHostMonitors } from '../../../src/kubelet/node/host-monitors.js';
import type { HostReadings } from '../../../src/kubelet/node/pressure.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import type { Logger } from '../../../src/util/log.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as unknown as Logger;
const Gi = 2 ** 30;
const fs = (availableGi: number) => ({ capacityBytes: 100 * Gi, availableBytes: availableGi * Gi, inodes: 100, inodesFree: 90 });

test('pressure is observed at start and on each period, and each change is a node event', async () => {
  let reading: HostReadings = { memoryAvailableBytes: 50 * 2 ** 20, nodefs: fs(50) };
  const events: string[] = [];
  const m = startHostMonitors({
    runtime: new SimulatedRuntime({ hostIP: '127.0.0.1' }),
    agentDir: '/nonexistent',
    log: quiet,
    nodeName: 'n1',
    read: () => reading,
    event: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
    pressurePeriodMs: 20,
  });
  try {
    assert.deepEqual(m.describe.pressure(), { memory: true, disk: false, pid: false });
    assert.equal(m.imageGc, undefined, 'a runtime without ImageFsInfo gets no image GC');
    reading = { memoryAvailableBytes: 50 * 2 ** 20, nodefs: fs(5) };
    for (let i = 0; i < 100 && !m.describe.pressure().disk; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(m.describe.pressure(), { memory: true, disk: true, pid: false });
    assert.deepEqual(events, [
      'Normal NodeHasInsufficientMemory Node n1 status is now: NodeHasInsufficientMemory',
      'Normal NodeHasDiskPressure Node n1 status is now: NodeHasDiskPressure',
    ]);
    assert.equal(typeof m.describe.bootID, 'string');
  } finally {
    m.stop();
  }
});

test('image GC keeps the pause image and the built-in skiff.local images, nothing else', () => {
  const img = (...repoTags: string[]) => ({ id: 'sha256:x', repoTags, repoDigests: [], size: 1n });
  assert.equal(keepImage(img('skiff.local/pause:3.10')), true);
  assert.equal(keepImage(img('127.0.0.1:5000/skiff/busybox:1.35', 'skiff.local/busybox:1.35')), true);
  assert.equal(keepImage(img('127.0.0.1:5000/skiff/busybox:1.35')), false);
  assert.equal(keepImage(img()), false);
});
