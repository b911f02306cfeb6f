// The userspace mode with its nft redirector, as root inside a network namespace this test
// creates (removed in `after`, also on failure): a cluster IP leads to the mode's loopback
// listener through the DNAT rule, and from there to a backend. The whole mode runs in a child
// process inside the namespace, since its listeners must share the namespace's loopback.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and nft)';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft (Debian nftables) is not installed';
  return undefined;
}
const why = missing();
const NS = `skiff-us-${process.pid}-${randomBytes(3).toString('hex')}`;
let created = false;
after(() => {
  if (created) spawnSync('ip', ['netns', 'del', NS]);
});

const dist = (p: string) => fileURLToPath(new URL(`../../src/proxy/${p}`, import.meta.url));
const SCRIPT = `
import net from 'node:net';
import { UserspaceMode } from ${JSON.stringify(dist('userspace/userspace-mode.js'))};
import { NftRedirector } from ${JSON.stringify(dist('userspace/redirector.js'))};
const server = net.createServer((s) => s.end('backend')).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const svc = { key: 'default/web:http', namespace: 'default', name: 'web', portName: 'http', protocol: 'TCP', clusterIPs: ['10.43.0.10'], port: 80,
  externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false };
const endpoint = { ip: '127.0.0.1', port: server.address().port, ready: true, serving: true, terminating: false, isLocal: true };
const mode = new UserspaceMode({ redirector: new NftRedirector({ routeLocalnet: true }) });
const ask = () => new Promise((res) => {
  const s = net.connect({ host: '10.43.0.10', port: 80 });
  let d = '';
  s.setTimeout(2000, () => { s.destroy(); res('TIMEOUT'); });
  s.on('data', (x) => (d += x)).on('end', () => res(d || 'CLOSED')).on('error', (e) => res(e.code));
});
const out = {};
await mode.sync({ nodeName: 'n', nodeIPs: [], services: new Map([[svc.key, svc]]), endpoints: new Map([[svc.key, [endpoint]]]) }, 'all');
out.viaClusterIP = [await ask(), await ask()];
out.table = (await import('node:child_process')).execFileSync('nft', ['list', 'table', 'ip', 'skiff-userspace'], { encoding: 'utf8' });
await mode.cleanup();
out.afterCleanup = (await import('node:child_process')).spawnSync('nft', ['list', 'table', 'ip', 'skiff-userspace']).status;
server.close();
process.stdout.write(JSON.stringify(out));
`;

test('userspace mode with the nft redirector: cluster IP → loopback listener → endpoint', { skip: why }, () => {
  const sh = (args: string[]) => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  sh(['ip', 'netns', 'add', NS]);
  created = true;
  const inNs = (args: string[]) => sh(['ip', 'netns', 'exec', NS, ...args]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'link', 'add', 'node0', 'type', 'veth', 'peer', 'name', 'node1']);
  inNs(['ip', 'link', 'set', 'node0', 'up']);
  inNs(['ip', 'addr', 'add', '10.250.0.1/24', 'dev', 'node0']);
  inNs(['ip', 'route', 'add', '10.43.0.0/16', 'dev', 'node0']);
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { viaClusterIP: string[]; table: string; afterCleanup: number };
  assert.deepEqual(out.viaClusterIP, ['backend', 'backend']);
  assert.match(out.table, /ip daddr 10\.43\.0\.10 tcp dport 80 dnat to 127\.0\.0\.1:\d+/);
  assert.equal(out.afterCleanup, 1, 'cleanup removes the redirect table');
});
