// The runner alone, fed by a stand-in source: changes arriving together are coalesced into
// one sync, and the periodic full resync runs (it is what repairs rules removed by others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Proxier } from '../../src/proxy/proxier.js';
import type { SnapshotChange } from '../../src/proxy/snapshot-builder.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from '../../src/proxy/types.js';

const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};
const empty: ProxySnapshot = { nodeName: 'n', nodeIPs: [], services: new Map(), endpoints: new Map() };

class Source {
  pending = new Set<ServicePortKey>();
  take(): SnapshotChange {
    const changed = this.pending;
    this.pending = new Set();
    return { snapshot: empty, changed, all: false };
  }
}

class Recorder implements ProxyMode {
  readonly name = 'iptables' as const;
  calls: (string[] | 'all')[] = [];
  async sync(_s: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all') {
    this.calls.push(changed === 'all' ? 'all' : [...changed].sort());
    await new Promise((r) => setTimeout(r, 5));
  }
  async cleanup() {}
  async stop() {}
}

test('changes that arrive together, or while a sync runs, are coalesced; periodic full resyncs run', async () => {
  const source = new Source();
  const mode = new Recorder();
  const p = new Proxier({ source, mode, log: quiet, minSyncIntervalMs: 20, fullSyncIntervalMs: 150 });
  p.start();
  await p.idle();
  assert.deepEqual(mode.calls, ['all']);
  for (const k of ['a', 'b', 'c']) {
    source.pending.add(k);
    p.requestSync();
  }
  await p.idle();
  assert.deepEqual(mode.calls, ['all', ['a', 'b', 'c']], 'three changes, one sync');
  await new Promise((r) => setTimeout(r, 400));
  p.stop();
  assert.ok(mode.calls.filter((c) => c === 'all').length >= 3, `full resyncs every 150 ms: ${JSON.stringify(mode.calls)}`);
});
