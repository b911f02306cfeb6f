// The nftables mode against the real kernel, inside a network namespace this test creates
// (unique name, deleted in `after` also on failure): the host's own ruleset is never touched,
// and all traffic stays inside the namespace. Rules are applied with
// `ip netns exec NS nft -f -` and read back with `nft list table ip skiff`; tiny TCP servers
// run in the namespace on "pod" addresses of a veth device inside it, and a client in the same
// namespace connects to cluster IPs and NodePorts through the DNAT rules.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { endpointChainName } from '../../src/proxy/nftables/names.js';
import { NftCommand, type NftRunner } from '../../src/proxy/nftables/nft-command.js';
import { conntrackDeleter } from '../../src/proxy/conntrack-cleanup.js';
import { run } from '../../src/proxy/run-command.js';
import { NftablesMode } from '../../src/proxy/nftables/nftables-mode.js';
import type { ServicePortKey } from '../../src/proxy/types.js';
import { ep, snapshot, svcPort } from './proxy-mode-fixtures.js';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and nft)';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft (Debian nftables) is not installed';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip (iproute2) is not installed';
  return undefined;
}
const why = missing();
const NS = `skiff-nft-${process.pid}-${randomBytes(3).toString('hex')}`;
let created = false;
let servers: ChildProcess | undefined;

function sh(args: string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}
const inNs = (args: string[], input?: string) => sh(['ip', 'netns', 'exec', NS, ...args], input);
const listTable = () => inNs(['nft', 'list', 'table', 'ip', 'skiff']);

/** Passes every transaction to the real nft and keeps its text, to check what a sync rewrote. */
class Recording implements NftRunner {
  texts: string[] = [];
  constructor(private readonly inner: NftRunner) {}
  apply(text: string) {
    this.texts.push(text);
    return this.inner.apply(text);
  }
  listObjects(table: string) {
    return this.inner.listObjects(table);
  }
}

// Four "pods" as addresses of the namespace's own interface; each answers a TCP connection with its own label.
const PODS = ['10.250.0.11', '10.250.0.12', '10.250.0.13', '10.250.0.14'];
const NODE_IP = '10.250.0.1';
const SERVER = `
const net = require('net');
for (const ip of ${JSON.stringify(PODS)}) net.createServer((s) => { s.on('error', () => {}); s.end(ip); }).listen(8080, ip);
setInterval(() => {}, 1000);
process.stdout.write('ready\\n');`;
// Connects `n` times to addr:port and prints each answer, or the error code.
const CLIENT = `
const net = require('net');
const [addr, port, n] = process.argv.slice(1);
(async () => {
  const out = [];
  for (let i = 0; i < Number(n); i++) out.push(await new Promise((res) => {
    const s = net.connect({ host: addr, port: Number(port), timeout: 2000 });
    let data = '';
    s.on('data', (d) => (data += d)).on('end', () => res(data)).on('error', (e) => res(e.code)).on('timeout', () => { s.destroy(); res('TIMEOUT'); });
  }));
  process.stdout.write(JSON.stringify(out));
})();`;
const connect = (addr: string, port: number, n: number): string[] => JSON.parse(inNs([process.execPath, '-e', CLIENT, addr, String(port), String(n)]));

before(async () => {
  if (why) return;
  sh(['ip', 'netns', 'add', NS]);
  created = true;
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  // A veth pair wholly inside the namespace stands for the node's uplink: a route through
  // loopback would not carry back the ICMP that `reject` sends.
  inNs(['ip', 'link', 'add', 'node0', 'type', 'veth', 'peer', 'name', 'node1']);
  inNs(['ip', 'link', 'set', 'node0', 'up']);
  inNs(['ip', 'link', 'set', 'node1', 'up']);
  inNs(['ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', 'node0']);
  for (const p of PODS) inNs(['ip', 'addr', 'add', `${p}/32`, 'dev', 'node0']);
  // Cluster IPs need a route for the output path to reach the nat hook (as on a real node).
  inNs(['ip', 'route', 'add', '10.43.0.0/16', 'dev', 'node0']);
  servers = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    servers!.stdout!.once('data', () => resolve());
    servers!.once('exit', (c) => reject(new Error(`test servers exited ${c}`)));
  });
});

after(() => {
  servers?.kill('SIGKILL');
  if (created) spawnSync('ip', ['netns', 'del', NS]);
});

const opts = { clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };
const web = svcPort('default', 'web', 'http', { clusterIPs: ['10.43.0.10'], nodePort: 30080 });
const api = svcPort('default', 'api', '', { clusterIPs: ['10.43.0.20'] });
const sticky = svcPort('default', 'sticky', 'http', { clusterIPs: ['10.43.0.30'], affinityTimeoutSeconds: 600 });
const empty = svcPort('default', 'empty', 'http', { clusterIPs: ['10.43.0.40'] });
const eps = (...ips: string[]) => ips.map((ip) => ep(ip, 8080));

test('nftables mode programs a namespace: DNAT to every backend, NodePort, affinity, reject, incremental and full syncs', { skip: why }, async () => {
  const nft = new Recording(new NftCommand({ netns: NS }));
  const mode = new NftablesMode({ ...opts, nft, staleChainMs: 0, conntrack: conntrackDeleter(run, NS) });
  const snap1 = snapshot(
    [NODE_IP, '127.0.0.1'],
    [
      [web, eps(PODS[0]!, PODS[1]!)],
      [api, eps(PODS[2]!)],
      [sticky, eps(PODS[0]!, PODS[1]!, PODS[2]!)],
      [empty, []],
    ],
  );
  await mode.sync(snap1, 'all');
  assert.equal(nft.texts.length, 1, 'one transaction per sync');
  let table = listTable();
  assert.match(table, /10\.43\.0\.10 \. tcp \. 80 : goto service-[A-Z2-7]{8}-default\/web\/tcp\/http/);
  assert.match(table, /tcp \. 30080 : goto external-[A-Z2-7]{8}-default\/web\/tcp\/http/);
  assert.match(table, /10\.43\.0\.40 \. tcp \. 80 comment "default\/empty:http" : goto reject-chain/);
  assert.match(table, /numgen random mod 2 vmap/);
  assert.match(table, /set nodeport-ips \{[^}]*elements = \{ 10\.250\.0\.1 \}/s, '127.0.0.1 is not a NodePort address in nftables mode');

  // Random backends: both answer over 40 connections (chance of one-sided: 2 * 2^-40).
  const answers = connect('10.43.0.10', 80, 40);
  assert.deepEqual(new Set(answers), new Set([PODS[0], PODS[1]]), answers.join(','));
  assert.deepEqual(new Set(connect(NODE_IP, 30080, 20)), new Set([PODS[0], PODS[1]]), 'NodePort on the node address');
  assert.deepEqual(connect('10.43.0.20', 80, 3), [PODS[2], PODS[2], PODS[2]]);
  // ClientIP affinity: every connection from this client sticks to the first backend chosen.
  const pinned = connect('10.43.0.30', 80, 15);
  assert.equal(new Set(pinned).size, 1, pinned.join(','));
  // No endpoints: rejected at once, not a timeout.
  assert.deepEqual(connect('10.43.0.40', 80, 2), ['ECONNREFUSED', 'ECONNREFUSED']);
  // A port the cluster IP does not serve is rejected too.
  assert.deepEqual(connect('10.43.0.20', 81, 1), ['ECONNREFUSED']);

  // Incremental: web loses a backend; only web's objects appear in the transaction.
  const snap2 = snapshot(
    [NODE_IP],
    [
      [web, eps(PODS[1]!)],
      [api, eps(PODS[2]!)],
      [sticky, eps(PODS[0]!, PODS[1]!, PODS[2]!)],
      [empty, []],
    ],
  );
  await mode.sync(snap2, new Set<ServicePortKey>([web.key]));
  const tx = nft.texts.at(-1)!;
  assert.ok(!/default\/(api|sticky|empty)/.test(tx), tx);
  assert.match(tx, /^flush chain ip skiff endpoint-[A-Z2-7]{8}-default\/web\/tcp\/http__10\.250\.0\.11\/8080$/m);
  assert.deepEqual(new Set(connect('10.43.0.10', 80, 20)), new Set([PODS[1]]));
  // The dropped endpoint chain is flushed first and deleted by a later sync.
  const gone = endpointChainName(web, ep(PODS[0]!, 8080));
  assert.ok(listTable().includes(gone));
  await mode.sync(snap2, new Set<ServicePortKey>());
  assert.ok(!listTable().includes(gone), 'stale chain deleted on the next sync');

  // Endpoints come back to the empty service: reject element gone, traffic flows.
  const snap3 = snapshot(
    [NODE_IP],
    [
      [web, eps(PODS[1]!)],
      [api, eps(PODS[2]!)],
      [sticky, eps(PODS[0]!, PODS[1]!, PODS[2]!)],
      [empty, eps(PODS[3]!)],
    ],
  );
  await mode.sync(snap3, new Set<ServicePortKey>([empty.key]));
  assert.deepEqual(connect('10.43.0.40', 80, 2), [PODS[3], PODS[3]]);
  assert.doesNotMatch(listTable(), /reject-chain \}|: goto reject-chain/);

  // Something else removes our element: an incremental sync rewrites only what differs in
  // the port it was told about (the element is the same, so it stays missing); the full
  // resync repairs the table while keeping the affinity pins.
  inNs(['nft', 'delete', 'element', 'ip', 'skiff', 'service-ips', '{ 10.43.0.20 . tcp . 80 }']);
  assert.deepEqual(connect('10.43.0.20', 80, 1), ['ECONNREFUSED'], 'the cluster IP is rejected without its element');
  const snap4 = snapshot(
    [NODE_IP],
    [
      [web, eps(PODS[1]!)],
      [api, eps(PODS[3]!)],
      [sticky, eps(PODS[0]!, PODS[1]!, PODS[2]!)],
      [empty, eps(PODS[3]!)],
    ],
  );
  await mode.sync(snap4, new Set<ServicePortKey>([api.key]));
  assert.doesNotMatch(nft.texts.at(-1)!, /element/, 'an endpoint change leaves the map elements alone');
  assert.deepEqual(connect('10.43.0.20', 80, 1), ['ECONNREFUSED']);
  await mode.sync(snap4, 'all');
  assert.deepEqual(connect('10.43.0.20', 80, 2), [PODS[3], PODS[3]]);
  assert.deepEqual(new Set(connect('10.43.0.30', 80, 10)), new Set([pinned[0]]), 'affinity survives a full resync');
  table = listTable();
  assert.equal(table.match(/jump services/g)?.length, 2, 'base rules are not doubled by resyncs');

  // A Service removed: its elements and chains leave with it.
  const snap5 = snapshot(
    [NODE_IP],
    [
      [web, eps(PODS[1]!)],
      [api, eps(PODS[3]!)],
      [empty, eps(PODS[3]!)],
    ],
  );
  await mode.sync(snap5, new Set<ServicePortKey>([sticky.key]));
  await mode.sync(snap5, new Set<ServicePortKey>());
  table = listTable();
  assert.ok(!table.includes('default/sticky'), table);
  assert.ok(!table.includes('10.43.0.30'), 'cluster IP left the cluster-ips set');

  // The whole table removed behind our back (someone ran `nft flush ruleset`): the next
  // incremental sync trips over it and falls back to a full resync, which brings it back.
  inNs(['nft', 'delete', 'table', 'ip', 'skiff']);
  assert.equal(spawnSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'table', 'ip', 'skiff']).status, 1);
  const snap6 = snapshot(
    [NODE_IP],
    [
      [web, eps(PODS[1]!)],
      [api, eps(PODS[2]!)],
      [empty, eps(PODS[3]!)],
    ],
  );
  await mode.sync(snap6, new Set<ServicePortKey>([api.key]));
  assert.match(nft.texts.at(-1)!, /^flush table ip skiff$/m, 'the refused incremental sync became a full one');
  assert.deepEqual(connect('10.43.0.20', 80, 2), [PODS[2], PODS[2]]);
  assert.deepEqual(connect('10.43.0.10', 80, 2), [PODS[1], PODS[1]]);

  await mode.cleanup();
  assert.equal(spawnSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'table', 'ip', 'skiff']).status, 1, 'cleanup deletes the table');
});
