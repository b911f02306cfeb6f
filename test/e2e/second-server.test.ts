// A second real-runtime `skiff server` where one already runs with the same bridge and
// cluster CIDR stops at once with an error naming --cni-bridge and --cluster-cidr, instead
// of handing out the first cluster's pod addresses again. Both servers run in a network
// namespace the test creates (their bridges, routes and rules live and die with it).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { killProcessesUnder, unmountUnder } from '../helpers/pod-teardown.js';
import { realNodeMissing } from '../helpers/real-node.js';
import { SKIFF_BIN } from '../helpers/server.js';
import { waitFor as until } from '../helpers/wait.js';

test('a second server with a bridge and cluster CIDR in use stops with an error naming --cni-bridge and --cluster-cidr', { timeout: 180_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const tag = Math.random().toString(36).slice(2, 7);
  const ns = `skiff-two-${tag}`;
  const octet = 160 + Math.floor(Math.random() * 40);
  const common = [
    '--runtime',
    'cri',
    '--https-port',
    '0',
    '--kubelet-port',
    '0',
    '--bind-address',
    '127.0.0.1',
    '--pod-network',
    'none',
    '--disable-proxy',
    '--cluster-cidr',
    `10.${octet}.0.0/17`,
    '--service-cidr',
    `10.${octet}.128.0/17`,
    '--cluster-dns',
    `10.${octet}.128.10`,
    '--cni-bridge',
    `sk2${tag}`,
  ];
  const dirA = mkdtempSync(join(tmpdir(), 'skiff-two-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'skiff-two-b-'));
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const inNs = (dir: string) => ['nsenter', [`--net=/run/netns/${ns}`, process.execPath, SKIFF_BIN, 'server', '--data-dir', dir, ...common]] as const;
  const [cmd, argv] = inNs(dirA);
  const first = spawn(cmd, [...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  first.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
  first.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  try {
    await until(
      'the first server ready',
      90_000,
      async () => (/skiff server ready/.test(out) ? true : undefined),
      () => out,
    );
    await until(
      "the first server's bridge",
      30_000,
      async () => (spawnSync('ip', ['-n', ns, 'link', 'show', `sk2${tag}`]).status === 0 ? true : undefined),
      () => out,
    );

    const [cmdB, argvB] = inNs(dirB);
    const second = spawnSync(cmdB, [...argvB], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(second.status, 1, `the second server stops; its output:\n${second.stdout}\n${second.stderr}`);
    assert.match(second.stderr, new RegExp(`bridge sk2${tag} is in use by another running Skiff \\(pid \\d+\\): choose another name with --cni-bridge`));
    assert.match(second.stderr, /--cluster-cidr 10\.\d+\.0\.0\/17 overlaps .* another running Skiff/);
    assert.equal(first.exitCode, null, 'the first server runs on');
  } finally {
    first.kill('SIGTERM');
    await Promise.race([new Promise((r) => first.once('exit', r)), new Promise((r) => setTimeout(r, 20_000))]);
    for (const dir of [dirA, dirB]) {
      killProcessesUnder(dir);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
