// A second Skiff on the same host and network namespace, with the same bridge or an
// overlapping cluster CIDR, is refused by name of the flag to change; a claim whose process
// is gone does not count. The other server is played by a real child process (same netns).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimNetwork, findClaimConflicts } from '../../../src/kubelet/network/host-claim.js';

test("a running Skiff's bridge and cluster CIDR are refused to a second one, naming --cni-bridge and --cluster-cidr", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-claims-'));
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const ns = statSync('/proc/self/ns/net').ino;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${ns}-skiff0.json`), JSON.stringify({ pid: other.pid, bridge: 'skiff0', clusterCidr: '10.42.0.0/16' }));

    const same = findClaimConflicts({ dir, bridge: 'skiff0', clusterCidr: '10.42.0.0/16' });
    assert.equal(same.length, 2, same.join('\n'));
    assert.match(same[0]!, new RegExp(`bridge skiff0 is in use by another running Skiff \\(pid ${other.pid}\\): choose another name with --cni-bridge`));
    assert.match(same[1]!, /--cluster-cidr 10\.42\.0\.0\/16 overlaps 10\.42\.0\.0\/16, the cluster CIDR of another running Skiff/);
    assert.throws(
      () => claimNetwork({ dir, bridge: 'skiff0', clusterCidr: '10.42.0.0/16' }),
      /pod network cannot be set up on this host: .*--cni-bridge.*--cluster-cidr/,
    );

    const overlapping = findClaimConflicts({ dir, bridge: 'skiff1', clusterCidr: '10.42.128.0/17', clusterCidrFlag: '--cluster-cidr' });
    assert.equal(overlapping.length, 1);
    assert.match(overlapping[0]!, /--cluster-cidr 10\.42\.128\.0\/17 overlaps 10\.42\.0\.0\/16/);
    assert.deepEqual(findClaimConflicts({ dir, bridge: 'skiff1', clusterCidr: '10.43.0.0/16' }), [], 'another bridge and CIDR are fine');

    // Its own claim (a restarted server in the same process, or a re-run) is no conflict.
    assert.deepEqual(findClaimConflicts({ dir, bridge: 'skiff0', clusterCidr: '10.42.0.0/16', pid: other.pid }), []);

    const release = claimNetwork({ dir, bridge: 'skiff1', clusterCidr: '10.43.0.0/16' });
    assert.ok(existsSync(join(dir, `${ns}-skiff1.json`)), 'the claim is written');
    release();
    assert.equal(existsSync(join(dir, `${ns}-skiff1.json`)), false, 'and removed on release');

    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    assert.deepEqual(findClaimConflicts({ dir, bridge: 'skiff0', clusterCidr: '10.42.0.0/16' }), [], 'a claim of a process that is gone is stale');
    const takeOver = claimNetwork({ dir, bridge: 'skiff0', clusterCidr: '10.42.0.0/16' });
    assert.deepEqual(readdirSync(dir), [`${ns}-skiff0.json`]);
    takeOver();
  } finally {
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
