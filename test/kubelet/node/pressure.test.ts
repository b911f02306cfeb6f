// Node pressure from injected host readings: the kubelet's default thresholds, the
// transition period that keeps a condition True for 5 min after the last pressure seen,
// the conditions and reasons the Node then carries, and the nodeInfo identifiers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostIdentity } from '../../../src/kubelet/node/host-identity.js';
import { observePressure, parseMeminfo, parseTaskCount, PressureMonitor, readHost, type HostReadings } from '../../../src/kubelet/node/pressure.js';
import { desiredConditions, nodeStatus, statusStale, type NodeDescription } from '../../../src/kubelet/node/status.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;
const fs = (capacityGi: number, availableGi: number, inodes = 1000, inodesFree = 900) => ({
  capacityBytes: capacityGi * Gi,
  availableBytes: availableGi * Gi,
  inodes,
  inodesFree,
});
const healthy: HostReadings = {
  memoryAvailableBytes: 2 * Gi,
  memoryCapacityBytes: 4 * Gi,
  nodefs: fs(100, 50),
  imagefs: fs(100, 50),
  pids: { running: 300, max: 32768 },
};

test('default hard eviction thresholds: memory.available<100Mi, nodefs 10%, imagefs 15%, inodes 5%', () => {
  assert.deepEqual(observePressure(healthy), { memory: false, disk: false, pid: false, signals: [] });
  assert.deepEqual(observePressure({ ...healthy, memoryAvailableBytes: 99 * Mi }).signals, ['memory.available']);
  assert.equal(observePressure({ ...healthy, memoryAvailableBytes: 100 * Mi }).memory, false, 'exactly at the threshold is not below it');
  assert.deepEqual(observePressure({ ...healthy, nodefs: fs(100, 9.9) }).signals, ['nodefs.available']);
  assert.equal(observePressure({ ...healthy, nodefs: fs(100, 10) }).disk, false);
  // imagefs has the higher threshold: 14% free is pressure there, not on nodefs.
  assert.deepEqual(observePressure({ ...healthy, imagefs: fs(100, 14) }).signals, ['imagefs.available']);
  assert.equal(observePressure({ ...healthy, nodefs: fs(100, 14) }).disk, false);
  assert.deepEqual(observePressure({ ...healthy, nodefs: fs(100, 50, 1000, 40) }).signals, ['nodefs.inodesFree']);
  assert.equal(observePressure({ ...healthy, nodefs: fs(100, 50, 0, 0) }).disk, false, 'no inode accounting is no inode pressure');
  // No pid.available threshold by default, as the kubelet; one can be configured.
  const full = { ...healthy, pids: { running: 32700, max: 32768 } };
  assert.equal(observePressure(full).pid, false);
  assert.deepEqual(observePressure(full, { pidAvailable: { percent: 5 } }).signals, ['pid.available']);
  assert.equal(observePressure({}).disk, false, 'unreadable signals never cause pressure');
});

test('a pressure condition stays True for the transition period after the last pressure seen', () => {
  let now = 1_000_000;
  let reading: HostReadings = healthy;
  const changes: string[] = [];
  const m = new PressureMonitor({ read: () => reading, now: () => now, onChange: (p, s) => changes.push(`${JSON.stringify(p)} ${s.join(',')}`) });
  assert.deepEqual(m.observe(), { memory: false, disk: false, pid: false });
  reading = { ...healthy, nodefs: fs(100, 5) };
  now += 10_000;
  assert.equal(m.observe().disk, true);
  reading = healthy;
  now += 4 * 60_000;
  assert.equal(m.observe().disk, true, 'still within 5 min of the last pressure');
  now += 60_000;
  assert.equal(m.observe().disk, false, '5 min without pressure clears it');
  assert.deepEqual(changes, ['{"memory":false,"disk":true,"pid":false} nodefs.available', '{"memory":false,"disk":false,"pid":false} ']);
  const broken = new PressureMonitor({
    read: () => {
      throw new Error('no /proc');
    },
  });
  assert.deepEqual(broken.observe(), { memory: false, disk: false, pid: false });
});

test('host readings parse /proc texts and statfs of a real path', () => {
  assert.equal(parseMeminfo('MemTotal:        4028420 kB\nMemAvailable:    1234 kB\n', 'MemAvailable'), 1234 * 1024);
  assert.equal(parseMeminfo('MemTotal:        4028420 kB\n', 'MemAvailable'), undefined);
  assert.equal(parseTaskCount('0.00 0.01 0.05 1/234 5678\n'), 234);
  assert.equal(parseTaskCount('garbage'), undefined);
  const r = readHost('/');
  assert.ok(r.nodefs && r.nodefs.capacityBytes > 0 && r.nodefs.availableBytes <= r.nodefs.capacityBytes);
  if (process.platform === 'linux') {
    assert.ok(r.memoryAvailableBytes! > 0 && r.memoryAvailableBytes! <= r.memoryCapacityBytes!);
    assert.ok(r.pids!.running > 0 && r.pids!.max >= r.pids!.running);
  }
});

const desc = (over: Partial<NodeDescription> = {}): NodeDescription => ({
  name: 'n1',
  capacity: { cpu: '2' },
  internalIP: '127.0.0.1',
  hostname: 'n1',
  osImage: 'Debian',
  kernelVersion: '6',
  architecture: 'amd64',
  operatingSystem: 'linux',
  containerRuntimeVersion: 'containerd://1.6.20~ds1',
  ...over,
});

test("the Node carries the kubelet's pressure reasons and messages, and changes make its status stale", () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const ok = desiredConditions(undefined, t0);
  assert.deepEqual(
    ok.map((c) => `${c.type}=${c.status}:${c.reason}`),
    [
      'MemoryPressure=False:KubeletHasSufficientMemory',
      'DiskPressure=False:KubeletHasNoDiskPressure',
      'PIDPressure=False:KubeletHasSufficientPID',
      'Ready=True:KubeletReady',
    ],
  );
  let pressure = { memory: true, disk: true, pid: true };
  const d = desc({ pressure: () => pressure });
  const st = nodeStatus(d, ok, t0 + 60_000);
  assert.deepEqual(
    st.conditions!.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
      ['DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure'],
      ['PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ],
  );
  const disk = st.conditions!.find((c) => c.type === 'DiskPressure')!;
  assert.equal(disk.lastTransitionTime, '2026-01-01T00:01:00Z', 'a changed condition gets a new transition time');
  assert.equal(st.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2026-01-01T00:00:00Z');
  const node = { status: st };
  assert.equal(statusStale(node, d, t0 + 61_000, 300_000), false);
  pressure = { memory: false, disk: true, pid: true };
  assert.equal(statusStale(node, d, t0 + 61_000, 300_000), true, 'memory pressure gone: post now, not in 5 min');
});

test('nodeInfo identifiers come from the host files, empty when unreadable', () => {
  const files: Record<string, string> = { '/proc/sys/kernel/random/boot_id': 'b00t\n', '/var/lib/dbus/machine-id': 'm4ch1ne\n' };
  const read = (p: string) => {
    if (!(p in files)) throw new Error('ENOENT');
    return files[p]!;
  };
  assert.deepEqual(hostIdentity(read), { bootID: 'b00t', machineID: 'm4ch1ne', systemUUID: '' });
  const st = nodeStatus(desc(hostIdentity(read)), undefined, 0);
  assert.equal(st.nodeInfo!.bootID, 'b00t');
  assert.equal(st.nodeInfo!.machineID, 'm4ch1ne');
  // The host's own files, where they exist.
  const real = hostIdentity();
  if (process.platform === 'linux') assert.match(real.bootID, /^[0-9a-f-]{36}$/);
});
