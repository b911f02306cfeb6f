// The multi-node harness itself: a server and an agent, each in its own network namespace,
// both Ready; kubectl on the host reaches the API server at the server node's address; the
// host holds unreachable routes for the run's CIDRs while it lives; cleanup leaves no
// namespace, host link, route or data dir behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { netnsClusterMissing, startNetnsCluster } from '../helpers/netns-cluster.js';

const netnsNames = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

test('netns cluster: every node in its own namespace, kubectl from the host, nothing left after cleanup', { timeout: 300_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const c = await startNetnsCluster({ agents: 1 });
  try {
    assert.equal(c.nodes.length, 2);
    assert.equal(new URL(c.serverUrl).hostname, c.server.ip);
    const r = await c.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), c.nodes.map((n) => `${n.name} ${n.ip}`).sort());
    const routes = spawnSync('ip', ['route', 'show'], { encoding: 'utf8' }).stdout;
    assert.match(routes, new RegExp(`unreachable ${c.clusterCidr.replace(/\./g, '\\.')}`));
    assert.match(routes, new RegExp(`unreachable ${c.serviceCidr.replace(/\./g, '\\.')}`));
    // Each node's namespace holds its own address; nodes reach each other on the segment.
    const addr = await c.exec(1, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addr.stdout, new RegExp(`inet ${c.agents[0]!.ip.replace(/\./g, '\\.')}/24`));
    const ping = await c.exec(1, ['busybox', 'ping', '-c', '1', '-W', '2', c.server.ip]);
    assert.equal(ping.code, 0, ping.stderr);
    // The agent's bridge lives in its namespace (once a pod CIDR configured it), not on the host.
    assert.notEqual(spawnSync('ip', ['link', 'show', c.agents[0]!.bridge], { stdio: 'ignore' }).status, 0);
  } finally {
    await c.cleanup();
  }
  const left = netnsNames().filter((n) => n.includes(c.tag));
  assert.deepEqual(left, [], 'no namespace of the run is left');
  assert.notEqual(spawnSync('ip', ['link', 'show', c.topology.hostLink], { stdio: 'ignore' }).status, 0, 'host link removed');
  const routes = spawnSync('ip', ['route', 'show'], { encoding: 'utf8' }).stdout;
  assert.ok(!routes.includes(c.clusterCidr) && !routes.includes(c.serviceCidr), `routes removed:\n${routes}`);
  assert.ok(!routes.includes(c.linkCidr), 'segment route removed');
  for (const n of c.nodes) assert.equal(existsSync(n.dataDir), false, `${n.dataDir} removed`);
});
