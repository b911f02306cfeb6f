// The multi-node harness itself: a server and an agent, each in its own network namespace,
// both Ready; kubectl on the host reaches the API server at the server node's address; the
// host holds unreachable routes for the run's CIDRs while it lives; cleanup leaves no
// namespace, host link, route or data dir behind, also when the process gets SIGINT.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { netnsClusterMissing, startNetnsCluster } from '../helpers/netns-cluster.js';
import { waitFor } from '../helpers/wait.js';

const netnsNames = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);

test('netns cluster: every node in its own namespace, kubectl from the host, nothing left after cleanup', { timeout: 300_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const c = await startNetnsCluster({ agents: 1 });
  try {
    assert.equal(c.nodes.length, 2);
    assert.equal(new URL(c.serverUrl).hostname, c.server.ip);
    const r = await c.kubectl([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}',
    ]);
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

test('netns cluster: SIGINT to the test process removes the cluster before it exits', { timeout: 180_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const helper = new URL('../helpers/netns-cluster.js', import.meta.url).pathname;
  const script = `import { startNetnsCluster } from ${JSON.stringify(helper)};
const c = await startNetnsCluster({ agents: 1, waitReady: false });
console.log('TAG ' + c.tag + ' ' + c.nodes.map((n) => n.dataDir).join(' '));
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const line = await waitFor(
      'the child cluster to start',
      120_000,
      async () => /TAG (\S+) (.*)\n/.exec(out) ?? undefined,
      () => err,
    );
    const [tag, dirs] = [line[1]!, line[2]!.split(' ')];
    assert.ok(
      netnsNames().some((n) => n.includes(tag)),
      'its namespaces exist while it runs',
    );
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.deepEqual(
      netnsNames().filter((n) => n.includes(tag)),
      [],
      'no namespace of the run is left',
    );
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} removed`);
    assert.ok(!spawnSync('ip', ['route', 'show'], { encoding: 'utf8' }).stdout.includes(`skh${tag}`), 'host link and its route removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
