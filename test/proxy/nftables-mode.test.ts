// The nftables mode's transactions without a kernel: what one sync sends to `nft -f`, for
// full and incremental syncs, and how a refused incremental sync turns into a full one.
// (nftables-kernel.test.ts applies the same transactions to a real kernel as root.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NftObjects, NftRunner } from '../../src/proxy/nftables/nft-command.js';
import { NftablesMode } from '../../src/proxy/nftables/nftables-mode.js';
import type { ServicePortKey } from '../../src/proxy/types.js';
import { ep, snapshot, svcPort } from './proxy-mode-fixtures.js';

class Transactions implements NftRunner {
  texts: string[] = [];
  refuseNext = false;
  listed: NftObjects = { chains: [], sets: [] };
  lists = 0;
  async apply(text: string): Promise<void> {
    this.texts.push(text);
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new Error('Error: Could not process rule: No such file or directory');
    }
  }
  async listObjects(): Promise<NftObjects> {
    this.lists++;
    return this.listed;
  }
}

const a = svcPort('ns', 'a', 'http', { clusterIPs: ['10.43.0.1'] });
const b = svcPort('ns', 'b', 'http', { clusterIPs: ['10.43.0.2'] });
const lines = (text: string) => text.trim().split('\n');

test('full sync, then an incremental sync touching only the changed service port', async () => {
  const nft = new Transactions();
  nft.listed = { chains: ['services', 'service-AAAAAAAA-ns/old/tcp/http'], sets: ['affinity-AAAAAAAA-ns/old/tcp/http__10.42.0.9/80'] };
  let now = 1000;
  const mode = new NftablesMode({ nft, clusterCIDR: '10.42.0.0/16', now: () => now, conntrack: async () => {} });
  await mode.sync(
    snapshot(
      ['192.168.1.5', '127.0.0.1'],
      [
        [a, [ep('10.42.0.1', 80)]],
        [b, [ep('10.42.0.2', 80)]],
      ],
    ),
    'all',
  );
  assert.equal(nft.lists, 1, 'the first sync reads leftovers from the kernel');
  const full = lines(nft.texts[0]!);
  assert.deepEqual(full.slice(0, 2), ['add table ip skiff', 'flush table ip skiff']);
  assert.ok(full.includes('delete set ip skiff affinity-AAAAAAAA-ns/old/tcp/http__10.42.0.9/80'), 'a leftover affinity set goes at once');
  assert.ok(!full.some((l) => l.startsWith('delete chain')), 'a leftover chain is only emptied now');
  assert.ok(full.includes('add element ip skiff cluster-ips { 10.43.0.1 }'));
  assert.ok(full.includes('add element ip skiff nodeport-ips { 192.168.1.5 }'));
  assert.ok(!full.includes('add element ip skiff nodeport-ips { 127.0.0.1 }'), 'no localhost NodePorts in nftables mode');

  now += 2000;
  await mode.sync(
    snapshot(
      ['192.168.1.5'],
      [
        [a, [ep('10.42.0.3', 80)]],
        [b, [ep('10.42.0.2', 80)]],
      ],
    ),
    new Set<ServicePortKey>([a.key]),
  );
  const inc = lines(nft.texts[1]!);
  assert.ok(
    inc.every((l) => !l.includes('ns/b/') && !l.includes('10.43.0.2')),
    inc.join('\n'),
  );
  const oldEp = inc.find((l) => /^flush chain ip skiff endpoint-.*__10\.42\.0\.1\/80$/.test(l));
  assert.ok(oldEp, 'the old endpoint chain is flushed');
  assert.ok(!inc.some((l) => l.includes('element')), 'the map element still points at the same service chain: left alone');
  assert.ok(
    inc.some((l) => /^flush chain ip skiff service-[A-Z2-7]{8}-ns\/a\//.test(l)),
    'the service chain is rewritten in place',
  );
  assert.ok(!inc.some((l) => /^add chain ip skiff service-[A-Z2-7]{8}-ns\/a\//.test(l)), 'an existing chain is not re-declared');
  assert.ok(inc.some((l) => /^add rule ip skiff endpoint-.*__10\.42\.0\.3\/80 meta l4proto tcp dnat to 10\.42\.0\.3:80$/.test(l)));
  assert.ok(
    inc.includes('add chain ip skiff service-AAAAAAAA-ns/old/tcp/http') && inc.includes('delete chain ip skiff service-AAAAAAAA-ns/old/tcp/http'),
    'the leftover chain is deleted by a later sync',
  );

  now += 2000;
  await mode.sync(snapshot(['192.168.1.5'], [[b, [ep('10.42.0.2', 80)]]]), new Set<ServicePortKey>([a.key]));
  const removal = lines(nft.texts[2]!);
  assert.ok(removal.includes('delete element ip skiff cluster-ips { 10.43.0.1 }'));
  assert.ok(removal.includes(`delete chain ip skiff ${oldEp!.replace('flush chain ip skiff ', '')}`), 'the endpoint chain dropped one sync ago is deleted');
  assert.equal(nft.lists, 1, 'incremental syncs never list the table');
});

test('a refused incremental sync is retried as a full sync in the same call', async () => {
  const nft = new Transactions();
  const mode = new NftablesMode({ nft, conntrack: async () => {} });
  await mode.sync(snapshot([], [[a, [ep('10.42.0.1', 80)]]]), 'all');
  nft.refuseNext = true;
  await mode.sync(snapshot([], [[a, [ep('10.42.0.2', 80)]]]), new Set<ServicePortKey>([a.key]));
  assert.equal(nft.texts.length, 3);
  assert.equal(lines(nft.texts[2]!)[1], 'flush table ip skiff');
  // A refused full sync fails the call, so the caller retries with back-off.
  nft.refuseNext = true;
  const failing = new NftablesMode({ nft, conntrack: async () => {} });
  await assert.rejects(failing.sync(snapshot([], [[a, []]]), 'all'), /No such file/);
});

test('a UDP endpoint that goes away has its conntrack entries deleted, as in the iptables mode', async () => {
  const deleted: string[][] = [];
  const dns = svcPort('ns', 'dns', 'dns', { clusterIPs: ['10.43.0.53'], protocol: 'UDP' });
  const mode = new NftablesMode({ nft: new Transactions(), conntrack: async (f) => void deleted.push(f) });
  await mode.sync(snapshot([], [[dns, [ep('10.42.0.1', 53), ep('10.42.0.2', 53)]]]), 'all');
  assert.deepEqual(deleted, [['-p', 'udp', '--orig-dst', '10.43.0.53']], 'entries made while the port had no endpoints go');
  deleted.length = 0;
  await mode.sync(snapshot([], [[dns, [ep('10.42.0.2', 53)]]]), new Set<ServicePortKey>([dns.key]));
  assert.deepEqual(deleted, [['-p', 'udp', '--orig-dst', '10.43.0.53', '--dst-nat', '10.42.0.1']]);
  deleted.length = 0;
  await mode.sync(snapshot([], []), 'all');
  assert.deepEqual(deleted, [['-p', 'udp', '--orig-dst', '10.43.0.53', '--dst-nat', '10.42.0.2']], 'a removed Service is visited by a full sync');
});

test('a sync of an unchanged port sends nothing; a changed affinity timeout rewrites the chains that use the set', async () => {
  const nft = new Transactions();
  const sticky = svcPort('ns', 's', 'http', { clusterIPs: ['10.43.0.3'], affinityTimeoutSeconds: 60 });
  const mode = new NftablesMode({ nft, conntrack: async () => {} });
  await mode.sync(snapshot([], [[sticky, [ep('10.42.0.1', 80), ep('10.42.0.2', 80)]]]), 'all');
  await mode.sync(snapshot([], [[sticky, [ep('10.42.0.1', 80), ep('10.42.0.2', 80)]]]), new Set<ServicePortKey>([sticky.key]));
  assert.equal(nft.texts.length, 1, 'nothing differs: no nft run');
  const longer = { ...sticky, affinityTimeoutSeconds: 120 };
  await mode.sync(snapshot([], [[longer, [ep('10.42.0.1', 80), ep('10.42.0.2', 80)]]]), new Set<ServicePortKey>([sticky.key]));
  const tx = lines(nft.texts[1]!);
  const flushes = tx.filter((l) => l.startsWith('flush chain')).length;
  assert.equal(flushes, 3, 'the service chain and both endpoint chains are emptied before their sets go');
  assert.equal(tx.filter((l) => l.startsWith('delete set')).length, 2);
  const lastFlush = tx.map((l) => l.startsWith('flush chain')).lastIndexOf(true);
  assert.ok(tx.findIndex((l) => l.startsWith('delete set')) > lastFlush);
  assert.equal(tx.filter((l) => / timeout 120s ; \}$/.test(l)).length, 2);
});
