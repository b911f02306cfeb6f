// A pod whose sandbox dies is brought back, as the kubelet's PLEG and SyncPod do: a real
// `skiff server` runs an httpd pod, the test kills the pod's pause process (found as its
// containerd task), and within 10 s the agent has a new sandbox, the httpd container
// restarted in it and the new pod IP in the status. The built-in busybox's `wget -T 3`
// (which segfaults in Debian's busybox-static) fetches the page from a pod, before and after.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';
import { waitFor as until } from '../helpers/wait.js';

const HTTPD = `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: skiff.local/httpd:1.35
    imagePullPolicy: IfNotPresent
`;

const wgetPod = (name: string, ip: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
  - name: wget
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [wget, -T, '3', -q, -O-, 'http://${ip}:8080/']
`;

async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json', '--ignore-not-found']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Pod) : undefined;
}

/** Runs `wget -T 3 -q -O- http://ip:8080/` in a pod; returns its exit code and output. */
async function wgetFrom(node: RealNode, name: string, ip: string): Promise<{ exitCode?: number; out: string }> {
  const r = await node.kubectl(['apply', '-f', '-'], { input: wgetPod(name, ip) });
  assert.equal(r.code, 0, r.stderr);
  const done = await until(
    `${name} finished`,
    60_000,
    async () => {
      const p = await getPod(node, name);
      return p?.status?.containerStatuses?.[0]?.state?.terminated ? p : undefined;
    },
    node.logs,
  );
  const m = done.metadata!;
  const logFile = join(node.dataDir, 'agent', 'logs', 'pods', `${m.namespace}_${m.name}_${m.uid}`, 'wget', '0.log');
  const out = existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').slice(3).join(' '))
        .join('\n')
    : '';
  return { exitCode: done.status!.containerStatuses![0]!.state!.terminated!.exitCode, out };
}

test('a pod whose pause process is killed gets a new sandbox, its containers restarted and its new IP within 10 s', { timeout: 240_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  try {
    const applied = await node.kubectl(['apply', '-f', '-'], { input: HTTPD });
    assert.equal(applied.code, 0, applied.stderr);
    const before = await until(
      'web Running with an IP',
      90_000,
      async () => {
        const p = await getPod(node, 'web');
        return p?.status?.podIP && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
      },
      node.logs,
    );
    const oldIP = before.status!.podIP!;

    const first = await wgetFrom(node, 'wget-1', oldIP);
    assert.equal(first.exitCode, 0, `wget -T 3 exits 0 (139 is the busybox-static crash); output:\n${first.out}`);
    assert.match(first.out, /It works!/);

    const cri = await node.cri();
    try {
      const [sandbox] = (await cri.listPodSandbox()).filter((s) => s.metadata.name === 'web');
      assert.ok(sandbox, 'web has a sandbox');
      // The sandbox's task in containerd is its pause process.
      const tasks = spawnSync('ctr', ['--address', node.socket, '-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' });
      assert.equal(tasks.status, 0, tasks.stderr);
      const row = tasks.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((f) => f[0] === sandbox.id);
      const pid = Number(row?.[1]);
      assert.ok(pid > 1, `the pause process of sandbox ${sandbox.id} in:\n${tasks.stdout}`);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();

      const after = await until(
        'web with a new pod IP and its container running again',
        10_000,
        async () => {
          const p = await getPod(node, 'web');
          const cs = p?.status?.containerStatuses?.[0];
          return p?.status?.podIP && p.status.podIP !== oldIP && cs?.state?.running && cs.restartCount === 1 ? p : undefined;
        },
        node.logs,
        250,
      );
      t.diagnostic(`new sandbox, restarted container and new IP ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the pause process was killed`);
      const newIP = after.status!.podIP!;
      assert.deepEqual(after.status!.podIPs, [{ ip: newIP }]);
      assert.ok(newIP.startsWith(node.podNet), `${newIP} is in the node's pod CIDR`);
      const ready = (await cri.listPodSandbox()).filter((s) => s.metadata.name === 'web' && s.state === 'SANDBOX_READY');
      assert.equal(ready.length, 1, 'one ready sandbox');
      assert.notEqual(ready[0]!.id, sandbox.id, 'a new sandbox');
      assert.equal((await cri.podSandboxStatus(ready[0]!.id)).network?.ip, newIP);
      const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=SandboxChanged', '-o', 'name']);
      assert.equal(ev.code, 0, ev.stderr);
      assert.ok(ev.stdout.trim(), 'a SandboxChanged event');

      const second = await wgetFrom(node, 'wget-2', newIP);
      assert.equal(second.exitCode, 0, `the restarted httpd answers on the new IP; output:\n${second.out}`);
      assert.match(second.out, /It works!/);
    } finally {
      await cri.close();
    }
  } finally {
    await node.cleanup();
  }
});
