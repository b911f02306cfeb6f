// Pod lifecycle e2e themes (run by ../pod-lifecycle.test.ts on one shared node): how pods end:
// graceful and forced deletion and what they leave on the host, OOM kills, activeDeadlineSeconds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { apply, BUSYBOX, exec, getPod, IDLE, podRow, podYaml, secondsSince, until } from '../../helpers/pod-kubectl.js';
import type { RealNode } from '../../helpers/real-node.js';
import type { Theme } from './theme.js';

/** Host mounts naming the pod's uid (its volumes) or one of these ids (sandbox: shm and netns; container: rootfs). */
function mountsOf(uid: string, ids: string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => (uid && l.includes(uid)) || ids.some((id) => l.includes(id)));
}
function linkByIndex(index: number): string | undefined {
  const r = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return r.stdout.split('\n').find((l) => l.startsWith(`${index}: `));
}

async function deletionCleansUp(t: TestContext, node: RealNode): Promise<void> {
  // One pod that stops on TERM quickly, one that ignores TERM and must be killed at the
  // end of its grace period.
  await apply(
    node,
    `${podYaml(
      'graceful',
      `
  terminationGracePeriodSeconds: 10
  volumes: [{name: scratch, emptyDir: {medium: Memory}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; while :; do sleep 1; done']
`,
    )}
---
${podYaml(
  'stubborn',
  `
  terminationGracePeriodSeconds: 3
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']
`,
)}`,
  );
  const running = await until(node, 'graceful and stubborn Running', 40_000, async () => {
    const ps = [await getPod(node, 'graceful'), await getPod(node, 'stubborn')];
    return ps.every((p) => p?.status?.phase === 'Running') ? (ps as Pod[]) : undefined;
  });
  const traces = new Map<string, { pod: Pod; iflink: number; ids: string[] }>();
  const cri = await node.cri();
  try {
    for (const p of running) {
      const name = p.metadata!.name!;
      const uid = p.metadata!.uid!;
      // The pod's eth0 names the ifindex of its host-side veth peer.
      const iflink = Number((await exec(node, name, ['cat', '/sys/class/net/eth0/iflink'])).trim());
      assert.match(linkByIndex(iflink) ?? '', new RegExp(`master ${node.bridge} `), `${name}'s veth is on the bridge`);
      assert.ok(existsSync(join(node.ipamDir, p.status!.podIP!)), `an IP lease for ${p.status!.podIP}`);
      const netns = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => / - nsfs /.test(l) && l.includes(node.dataDir));
      assert.ok(netns.length > 0, 'pod network namespaces are mounted under the data dir, not the host-wide /run/netns');
      const sandboxes = (await cri.listPodSandbox()).filter((s) => s.metadata?.uid === uid).map((s) => s.id);
      assert.equal(sandboxes.length, 1, `one sandbox for ${name}`);
      const containerIds = (p.status?.containerStatuses ?? []).map((c) => c.containerID!.replace(/^containerd:\/\//, ''));
      assert.ok(mountsOf('', containerIds).length > 0, `${name}'s container has its rootfs mounted`);
      assert.ok(mountsOf(uid, sandboxes).length > 0, `${name} has host mounts`);
      // Traces: the pod uid (volumes), the sandbox id (shm, netns), the container ids (rootfs).
      traces.set(name, { pod: p, iflink, ids: [...sandboxes, ...containerIds] });
    }
  } finally {
    await cri.close();
  }
  assert.ok(mountsOf(traces.get('graceful')!.pod.metadata!.uid!, []).length > 0, 'the memory-backed emptyDir is a host mount naming the pod uid');

  const timeDelete = async (name: string) => {
    const t0 = Date.now();
    const r = await node.kubectl(['delete', 'pod', name, '--wait=true', '--timeout=40s'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    return (Date.now() - t0) / 1000;
  };
  const terminating = (async () => {
    for (let i = 0; i < 20; i++) {
      const row = await podRow(node, 'stubborn').catch(() => undefined);
      if (row?.STATUS === 'Terminating') return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  })();
  const [graceful, stubborn] = await Promise.all([timeDelete('graceful'), timeDelete('stubborn')]);
  assert.ok(await terminating, 'kubectl get pod shows Terminating during the grace period');
  t.diagnostic(
    `delete: graceful (traps TERM, grace 10 s) gone in ${graceful.toFixed(1)} s; stubborn (ignores TERM, grace 3 s) gone in ${stubborn.toFixed(1)} s`,
  );
  assert.ok(graceful < 10, `a container that exits on TERM stops within its grace period of 10 s (${graceful} s)`);
  assert.ok(stubborn >= 2.5, `a container that ignores TERM is given its grace period (${stubborn} s)`);
  assert.ok(stubborn < 10, `…and is killed when it ends (${stubborn} s)`);

  const after = await node.cri();
  try {
    for (const [name, tr] of traces) {
      const uid = tr.pod.metadata!.uid!;
      await until(node, `no sandbox of ${name} in containerd`, 15_000, async () =>
        (await after.listPodSandbox()).some((s) => s.metadata?.uid === uid) ? undefined : true,
      );
      assert.equal(linkByIndex(tr.iflink), undefined, `${name}'s veth is gone`);
      assert.equal(existsSync(join(node.ipamDir, tr.pod.status!.podIP!)), false, `${name}'s IP lease is released`);
      const nat = spawnSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.includes(`${tr.pod.status!.podIP!}/32`));
      assert.deepEqual(nat, [], `no masquerade rule of ${name} is left`);
      assert.deepEqual(mountsOf(uid, tr.ids), [], `no mount of ${name} is left`);
      assert.equal(existsSync(join(node.dataDir, 'agent', 'pods', uid)), false, `${name}'s pod directory is removed`);
    }
  } finally {
    await after.close();
  }
}

async function forceDeleteCleansUp(t: TestContext, node: RealNode): Promise<void> {
  // --force --grace-period=0 removes the pod from the API at once; the node agent must still
  // stop its containers and remove its sandbox.
  await apply(
    node,
    podYaml(
      'forced',
      `
  terminationGracePeriodSeconds: 30
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']}
`,
    ),
  );
  const pod = await until(node, 'forced Running', 30_000, async () => {
    const p = await getPod(node, 'forced');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const uid = pod.metadata!.uid!;
  const r = await node.kubectl(['delete', 'pod', 'forced', '--force', '--grace-period=0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await getPod(node, 'forced'), undefined, 'gone from the API at once');
  const t0 = Date.now();
  const cri = await node.cri();
  try {
    await until(node, "the force-deleted pod's sandbox removed", 40_000, async () =>
      (await cri.listPodSandbox()).some((s) => s.metadata?.uid === uid) ? undefined : true,
    );
  } finally {
    await cri.close();
  }
  t.diagnostic(`force delete: the sandbox was removed ${secondsSince(t0)} s after the pod left the API`);
  assert.ok(!existsSync(join(node.ipamDir, pod.status!.podIP!)), 'its IP lease is released');
}

async function gracePeriodOverride(t: TestContext, node: RealNode): Promise<void> {
  // kubectl delete --grace-period shortens the pod's own 30 s for this deletion.
  await apply(
    node,
    podYaml(
      'short-grace',
      `
  terminationGracePeriodSeconds: 30
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']}
`,
    ),
  );
  await until(node, 'short-grace Running', 30_000, async () => ((await getPod(node, 'short-grace'))?.status?.phase === 'Running' ? true : undefined));
  const t0 = Date.now();
  const r = await node.kubectl(['delete', 'pod', 'short-grace', '--grace-period=2', '--wait=true', '--timeout=40s'], { timeoutMs: 50_000 });
  assert.equal(r.code, 0, r.stderr);
  const took = (Date.now() - t0) / 1000;
  t.diagnostic(`grace override: a pod with 30 s grace deleted with --grace-period=2 in ${took.toFixed(1)} s`);
  assert.ok(took >= 1.5 && took < 15, `the 2 s override was used, not the pod's 30 s (${took} s)`);
}

async function oomKilled(t: TestContext, node: RealNode): Promise<void> {
  // busybox `tail` keeps a line that never ends in memory; /dev/zero has no newline.
  await apply(
    node,
    podYaml(
      'oom',
      `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: ${BUSYBOX}
    command: [sh, -c, 'echo start; tail /dev/zero']
    resources: {limits: {memory: 16Mi}}
`,
    ),
  );
  const t0 = Date.now();
  const pod = await until(node, 'the oom pod terminated', 40_000, async () => {
    const p = await getPod(node, 'oom');
    return p?.status?.containerStatuses?.[0]?.state?.terminated ? p : undefined;
  });
  t.diagnostic(`OOM: the container terminated ${secondsSince(t0)} s after apply`);
  const term = pod.status!.containerStatuses![0]!.state!.terminated!;
  assert.equal(term.reason, 'OOMKilled', JSON.stringify(term));
  assert.equal(term.exitCode, 137);
  assert.equal(pod.status?.phase, 'Failed');
  assert.equal((await podRow(node, 'oom')).STATUS, 'OOMKilled');
}

async function oomRestarts(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'oom-again',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: ${BUSYBOX}
    command: [sh, -c, 'tail /dev/zero']
    resources: {limits: {memory: 16Mi}}
`,
    ),
  );
  const t0 = Date.now();
  // containerd reports the OOM from its own event, which can reach it just after the exit: a
  // status read in between says Error, and the next sync of the pod (the container OOMs again
  // at once) reads OOMKilled, as the kubelet's status converges. What is asserted is that it does.
  const seen = new Set<string>();
  const p = await until(node, 'oom-again restarted after an OOM kill, OOMKilled in lastState', 40_000, async () => {
    const x = await getPod(node, 'oom-again');
    const reason = x?.status?.containerStatuses?.[0]?.lastState?.terminated?.reason;
    if (reason) seen.add(reason);
    return reason === 'OOMKilled' ? x : undefined;
  }).catch((err: Error) => assert.fail(`${err.message}; lastState reasons seen: ${[...seen].join(', ') || 'none'}`));
  t.diagnostic(`OOM with restartPolicy Always: lastState OOMKilled after ${secondsSince(t0)} s (reasons seen: ${[...seen].join(', ')})`);
  const cs = p.status!.containerStatuses![0]!;
  assert.equal(cs.lastState?.terminated?.reason, 'OOMKilled');
  assert.ok(cs.restartCount >= 1);
  // Each new exit can pass through Error the same way before it reads OOMKilled.
  await until(node, 'kubectl describe showing the OOM kill in Last State', 20_000, async () => {
    const described = await node.kubectl(['describe', 'pod', 'oom-again']);
    return /Last State:\s+Terminated\s+Reason:\s+OOMKilled/.test(described.stdout) ? true : undefined;
  });
}

async function activeDeadline(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'deadline',
      `
  activeDeadlineSeconds: 4
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`,
    ),
  );
  const t0 = Date.now();
  const failed = await until(node, 'deadline Failed', 30_000, async () => {
    const p = await getPod(node, 'deadline');
    return p?.status?.phase === 'Failed' ? p : undefined;
  });
  const sinceStart = (Date.now() - Date.parse(failed.status!.startTime!)) / 1000;
  t.diagnostic(`activeDeadlineSeconds 4: the pod Failed ${secondsSince(t0)} s after apply, ${sinceStart.toFixed(1)} s after its startTime`);
  assert.ok(sinceStart >= 4, `not before the deadline (${sinceStart} s after startTime)`);
  assert.equal(failed.status?.reason, 'DeadlineExceeded');
  assert.match(failed.status?.message ?? '', /active on the node longer than the specified deadline/);
  assert.ok(failed.status?.containerStatuses?.[0]?.state?.terminated, 'its container was stopped');
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=deadline,reason=DeadlineExceeded', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).items.length, 1, 'a DeadlineExceeded event');
}

export const terminationThemes: Theme[] = [
  ['deleting pods: grace period honoured, nothing left on the host', deletionCleansUp],
  ['a force-deleted pod is still cleaned up on the node', forceDeleteCleansUp],
  ["kubectl delete --grace-period overrides the pod's grace period", gracePeriodOverride],
  ['a container over its memory limit is OOMKilled', oomKilled],
  ['an OOM kill with restartPolicy Always shows in lastState', oomRestarts],
  ['activeDeadlineSeconds fails the pod', activeDeadline],
];
